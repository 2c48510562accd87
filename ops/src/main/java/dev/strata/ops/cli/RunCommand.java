package dev.strata.ops.cli;

import dev.strata.persistence.RepositoryException;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.UnmountRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", description = "Run CMD in a new process tree that sees REFS at the mount point; exits with CMD's code.")
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Mixin
    RuntimeSpec runtime;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        return runInRuntime(strata, runtime, command);
    }

    /** Mounts REFS for this process, runs {@code command} as its tree, waits for the whole tree, and unmounts. */
    static int runInRuntime(StrataCommand strata, RuntimeSpec spec, List<String> command) throws Exception {
        try (DaemonClient client = DaemonClient.connect(strata.home())) {
            // Orphans of the tree come back to this process, so the tree (and its view) lasts until they exit.
            Subreaper.become();
            long self = ProcessHandle.current().pid();
            RuntimeInfo runtime = client.call(c -> c.mount(MountRequest.newBuilder().setRootPid((int) self)
                    .setEnvSpec(spec.refs).setName(spec.nameOrEmpty()).build()));
            int exit;
            try {
                exit = runTree(runtime, command);
            } finally {
                try {
                    client.call(c -> c.unmount(UnmountRequest.newBuilder().setName(runtime.getName()).build()));
                } catch (RepositoryException alreadyGone) {
                    // the daemon ends a runtime by itself when its root exits
                }
            }
            return exit;
        }
    }

    private static int runTree(RuntimeInfo runtime, List<String> command) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("STRATA_RUNTIME", runtime.getName());
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            throw new RepositoryException("cannot run " + command.get(0) + ": " + e.getMessage());
        }
        Thread forward = new Thread(child::destroy, "strata-run-forward-signal");
        Runtime.getRuntime().addShutdownHook(forward);
        int exit = child.waitFor();
        // Reparented orphans (daemons started inside) keep the runtime alive until they end.
        for (ProcessHandle orphan : ProcessHandle.current().children().toList()) {
            orphan.onExit().join();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(forward);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting already
        }
        return exit;
    }
}
