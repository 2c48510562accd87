package dev.strata.ops.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The runtime a command creates: an optional name and the env spec it sees (shared by run, shell and mount). */
final class RuntimeSpec {
    @Option(names = "--name", paramLabel = "N", description = "Name the runtime (default run-PID).")
    String name;

    @Parameters(index = "0", paramLabel = "REFS", description = "An env spec: ref[+ref...], bottom-up.")
    String refs;

    /** The name to send: empty lets the daemon choose. */
    String nameOrEmpty() {
        return name == null ? "" : name;
    }
}
