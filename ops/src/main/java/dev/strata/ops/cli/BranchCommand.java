package dev.strata.ops.cli;

import dev.strata.protocol.BranchInfo;
import dev.strata.protocol.CommitBranchRequest;
import dev.strata.protocol.CommitReply;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.DeleteBranchRequest;
import dev.strata.protocol.DiffBranchRequest;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.ListBranchesRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.UnbindBranchRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "branch", description = "Writable branches of snapshots, and the process trees bound to them.",
        subcommands = {BranchCommand.Create.class, BranchCommand.ListAll.class, BranchCommand.Exec.class, BranchCommand.Bind.class,
                BranchCommand.Unbind.class, BranchCommand.Diff.class, BranchCommand.Commit.class, BranchCommand.Delete.class})
final class BranchCommand {
    @ParentCommand
    StrataCommand strata;

    @Command(name = "create", description = "Make an editable branch whose base is SNAPSHOT; prints its name.")
    static final class Create implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "SNAPSHOT")
        String snapshot;

        @Option(names = "--name", paramLabel = "B", description = "Name the branch (default SNAPSHOT-branch-N).")
        String name;

        @Override
        public void run() {
            BranchInfo b = DaemonClient.once(parent.strata, c -> c.createBranch(CreateBranchRequest.newBuilder().setSnapshot(snapshot)
                    .setName(name == null ? "" : name).build()));
            parent.strata.out.println(b.getName());
        }
    }

    @Command(name = "list", description = "List branches, their snapshots and whether processes run in them.")
    static final class ListAll implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
        boolean json;


        @Override
        public void run() {
            var reply = DaemonClient.once(parent.strata, c -> c.listBranches(ListBranchesRequest.getDefaultInstance()));
            if (json) {
                Json.print(parent.strata, reply);
                return;
            }
            for (BranchInfo b : reply.getBranchesList()) {
                parent.strata.out.printf("%-24s %-24s %s%n", b.getName(), b.getSnapshot(), b.getRunning() ? "running" : "idle");
            }
        }
    }

    @Command(name = "exec", description = "Run CMD as a process tree in branch B; exits with CMD's code.")
    static final class Exec implements Callable<Integer> {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "B")
        String branch;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return RunCommand.runInRuntime(parent.strata, MountRequest.newBuilder().setName(branch).setJoin(true), command, false);
        }
    }

    @Command(name = "bind", description = "Attach the running process tree rooted at --pid to branch B; its descendants follow.")
    static final class Bind implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "B")
        String branch;

        @Option(names = "--pid", required = true, paramLabel = "P")
        int pid;

        @Override
        public void run() {
            DaemonClient.once(parent.strata, c -> c.mount(MountRequest.newBuilder().setRootPid(pid).setName(branch).setJoin(true).build()));
        }
    }

    @Command(name = "unbind", description = "Detach the tree rooted at --pid from its branch; it sees the empty view again.")
    static final class Unbind implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Option(names = "--pid", required = true, paramLabel = "P")
        int pid;

        @Override
        public void run() {
            DaemonClient.once(parent.strata, c -> c.unbindBranch(UnbindBranchRequest.newBuilder().setPid(pid).build()));
        }
    }

    @Command(name = "diff", description = "What branch B changed against its snapshot: + added, - removed, ~ changed.")
    static final class Diff implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "B")
        String branch;

        @Override
        public void run() {
            DiffReply reply = DaemonClient.once(parent.strata, c -> c.diffBranch(DiffBranchRequest.newBuilder().setBranch(branch).build()));
            DiffCommand.print(parent.strata, reply);
        }
    }

    @Command(name = "commit", description = "Store what branch B changed as a layer (as strata commit does); prints its digest.")
    static final class Commit implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "B")
        String branch;

        @Option(names = "--tag", paramLabel = "T")
        String tag;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG")
        String message;

        @Override
        public void run() {
            CommitBranchRequest request = CommitBranchRequest.newBuilder().setBranch(branch).setTag(tag == null ? "" : tag)
                    .setMessage(message == null ? "" : message).build();
            CommitReply reply;
            try (DaemonClient client = DaemonClient.connect(parent.strata)) {
                reply = WorkProgress.await(parent.strata, client, "commit", dev.strata.protocol.ProgressRequest.newBuilder().setRuntime(branch).build(),
                        c -> c.commitBranch(request));
            }
            if (reply.getLayer().isEmpty()) {
                parent.strata.err.println("strata: nothing to commit: branch " + branch + " holds no changes");
            } else {
                parent.strata.out.println(reply.getLayer());
            }
        }
    }

    @Command(name = "delete", description = "End branch B (its processes see the empty view) and remove it.")
    static final class Delete implements Runnable {
        @ParentCommand
        BranchCommand parent;

        @Parameters(index = "0", paramLabel = "B")
        String branch;

        @Override
        public void run() {
            DaemonClient.once(parent.strata, c -> c.deleteBranch(DeleteBranchRequest.newBuilder().setBranch(branch).build()));
        }
    }
}
