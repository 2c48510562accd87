package dev.strata.ops.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The runtime a command creates: name, env spec and whether it is editable (shared by run, shell and mount). */
final class RuntimeSpec {
    @Option(names = "--name", paramLabel = "N", description = "Name the runtime (default run-PID).")
    String name;

    @Option(names = "--edit", description = "Give the runtime a private writable scratch over REFS (commit it with strata commit).")
    boolean edit;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REFS", description = "An env spec: ref[+ref...], bottom-up.")
    String refs;

    /** The name to send: empty lets the daemon choose. */
    String nameOrEmpty() {
        return name == null ? "" : name;
    }
}
