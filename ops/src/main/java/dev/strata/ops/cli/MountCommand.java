package dev.strata.ops.cli;

import dev.strata.persistence.RepositoryException;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "mount", description = "Give an existing process tree (rooted at --pid) the view of REFS; its later children follow.")
final class MountCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--pid", required = true, paramLabel = "P", description = "The root process of the tree.")
    int pid;

    @Mixin
    RuntimeSpec runtime;

    /** A process tree may be given a view by its owner or root. */
    static void checkCallerOwns(int pid) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            throw new RepositoryException("no process with pid " + pid);
        }
        String me = System.getProperty("user.name");
        String owner = process.get().info().user().orElse(me);
        if (!"root".equals(me) && !owner.equals(me)) {
            throw new RepositoryException("process " + pid + " belongs to " + owner + ", not to you");
        }
    }

    @Override
    public void run() {
        checkCallerOwns(pid);
        try (DaemonClient client = DaemonClient.connect(strata)) {
            MountRequest request = RunCommand.request(strata, runtime).setRootPid(pid).build();
            RuntimeInfo r = client.call(c -> c.mount(request));
            strata.out.println(r.getName());
        }
    }
}
