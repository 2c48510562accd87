package dev.strata.ops.cli;

import dev.strata.persistence.RepositoryException;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.UnmountRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", description = "Run CMD in a new process tree that sees REFS at the mount point; exits with CMD's code.")
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Mixin
    RuntimeSpec runtime;

    @Option(names = "--durable", description = "Keep the runtime and its scratch after its processes and the daemon end (needs --name; implies --edit).")
    boolean durable;

    @Option(names = "--join", paramLabel = "N", description = "Run CMD in the running or durable runtime N instead of a new one.")
    String join;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        runtime.refuseOwnMount(strata.spec);
        List<String> cmd = new ArrayList<>(command);
        MountRequest.Builder request = MountRequest.newBuilder().setName(runtime.nameOrEmpty()).setEditable(runtime.edit || durable)
                .setDurable(durable);
        if (join != null) {
            if (runtime.refs != null) {
                cmd.add(0, runtime.refs); // with --join there are no REFS: the first word is the command
            }
            request.setName(join).setJoin(true);
        } else if (runtime.refs == null) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine(), "run needs REFS (or --join N)");
        } else {
            request.setEnvSpec(runtime.refs);
        }
        if (cmd.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine(), "run needs a command: strata run REFS -- CMD...");
        }
        return runInRuntime(strata, request, cmd, join == null);
    }

    /** The runtime a shell or mount asks for. */
    static MountRequest.Builder request(StrataCommand strata, RuntimeSpec spec) {
        spec.refuseOwnMount(strata.spec);
        if (spec.refs == null) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine(), "missing REFS: an env spec, ref[+ref...]");
        }
        return MountRequest.newBuilder().setEnvSpec(spec.refs).setName(spec.nameOrEmpty()).setEditable(spec.edit);
    }

    /**
     * Mounts a runtime for this process, runs {@code command} as its tree, waits for the whole tree,
     * and, when {@code owned}, ends the runtime (a joined runtime lives on with its other trees).
     */
    static int runInRuntime(StrataCommand strata, MountRequest.Builder request, List<String> command, boolean owned) throws Exception {
        try (DaemonClient client = DaemonClient.connect(strata)) {
            // Orphans of the tree come back to this process, so the tree (and its view) lasts until they exit.
            Subreaper.become();
            long self = ProcessHandle.current().pid();
            RuntimeInfo runtime = client.call(c -> c.mount(request.setRootPid((int) self).build()));
            int exit;
            try {
                exit = runTree(runtime, command);
            } finally {
                if (owned) {
                    try {
                        client.call(c -> c.unmount(UnmountRequest.newBuilder().setName(runtime.getName()).build()));
                    } catch (RepositoryException alreadyGone) {
                        // the daemon ends a runtime by itself when its root exits
                    }
                }
            }
            return exit;
        }
    }

    private static int runTree(RuntimeInfo runtime, List<String> command) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("STRATA_RUNTIME", runtime.getName());
        if (!runtime.getViewRoot().isEmpty()) {
            // a daemon without FUSE: the tree runs in a rendered copy of its view, and is told so once
            System.err.println(runtime.getDegraded());
            pb.directory(new java.io.File(runtime.getViewRoot()));
            pb.environment().put("STRATA_VIEW", runtime.getViewRoot());
        }
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            // as shells answer: 127 for a command that is not there, 126 for one that cannot run
            boolean missing = String.valueOf(e.getMessage()).contains("error=2,");
            System.err.println("strata: " + command.get(0) + ": " + (missing ? "command not found" : "cannot run: " + e.getMessage()));
            return missing ? 127 : 126;
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
