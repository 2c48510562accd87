package dev.strata.ops.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The runtime a command creates: name, env spec and whether it is editable (shared by run, shell and mount). */
final class RuntimeSpec {
    @Option(names = "--name", paramLabel = "N", description = "Name the runtime (default run-PID).")
    String name;

    @Option(names = "--edit", description = "Give the runtime a private writable scratch over REFS (commit it with strata commit).")
    boolean edit;

    @Option(names = "--own-mount", description = "(root, native front end) Give the tree a FUSE connection of its own, in a mount"
            + " namespace of its own: the kernel keeps every answer and checks permissions itself; no other tree can join the runtime.")
    boolean ownMount;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REFS", description = "An env spec: ref[+ref...], bottom-up.")
    String refs;

    /** This CLI runs in a JVM, whose many threads cannot enter a mount namespace: only the native front end makes own mounts. */
    void refuseOwnMount(picocli.CommandLine.Model.CommandSpec spec) {
        if (ownMount) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--own-mount is made by the native front end"
                    + " (strata-run: bin/strata in a checkout, an installed strata), which enters a mount namespace; this JVM cannot");
        }
    }

    /** The name to send: empty lets the daemon choose. */
    String nameOrEmpty() {
        return name == null ? "" : name;
    }
}
