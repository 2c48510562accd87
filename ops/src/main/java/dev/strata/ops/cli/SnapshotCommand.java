package dev.strata.ops.cli;

import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteSnapshotRequest;
import dev.strata.protocol.ListSnapshotsRequest;
import dev.strata.protocol.SnapshotInfo;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "snapshot", description = "Freeze runtimes into immutable snapshots, list and delete them.",
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListAll.class, SnapshotCommand.Delete.class})
final class SnapshotCommand {
    @ParentCommand
    StrataCommand strata;

    @Command(name = "create", description = "Capture RUNTIME's current view; its cost follows what the runtime changed. Prints the name.")
    static final class Create implements Runnable {
        @ParentCommand
        SnapshotCommand parent;

        @Parameters(index = "0", paramLabel = "RUNTIME")
        String runtime;

        @Option(names = "--name", paramLabel = "N", description = "Name the snapshot (default RUNTIME-MILLIS).")
        String name;

        @Override
        public void run() {
            StrataCommand strata = parent.strata;
            CreateSnapshotRequest request = CreateSnapshotRequest.newBuilder().setRuntime(runtime).setName(name == null ? "" : name).build();
            SnapshotInfo s;
            try (DaemonClient client = DaemonClient.connect(strata)) {
                s = WorkProgress.await(strata, client, "snapshot", dev.strata.protocol.ProgressRequest.newBuilder().setRuntime(runtime).build(),
                        c -> c.createSnapshot(request));
            }
            strata.err.printf("strata: snapshot %s of %s: %s, captured in %.1f ms%n", s.getName(), s.getRuntime(),
                    Format.count(s.getLayersCount(), "layer"), s.getCaptureMicros() / 1000.0);
            strata.out.println(s.getName());
        }
    }

    @Command(name = "list", description = "List snapshots with the runtime they froze and the branches made from them.")
    static final class ListAll implements Runnable {
        @ParentCommand
        SnapshotCommand parent;

        @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
        boolean json;


        @Override
        public void run() {
            StrataCommand strata = parent.strata;
            var reply = DaemonClient.once(strata, c -> c.listSnapshots(ListSnapshotsRequest.getDefaultInstance()));
            if (json) {
                Json.print(strata, reply);
                return;
            }
            for (SnapshotInfo s : reply.getSnapshotsList()) {
                strata.out.printf("%-24s %-20s %s  %-9s  branches: %s%n", s.getName(), s.getRuntime(),
                        Instant.ofEpochMilli(s.getCreatedAtEpochMs()), Format.count(s.getLayersCount(), "layer"),
                        s.getBranchesCount() == 0 ? "-" : String.join(",", s.getBranchesList()));
            }
        }
    }

    @Command(name = "delete", description = "Delete snapshot S (refused while branches stand on it).")
    static final class Delete implements Runnable {
        @ParentCommand
        SnapshotCommand parent;

        @Parameters(index = "0", paramLabel = "S")
        String name;

        @Override
        public void run() {
            DaemonClient.once(parent.strata, c -> c.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setName(name).build()));
        }
    }
}
