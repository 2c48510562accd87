package dev.strata.ops.cli;

import dev.strata.protocol.UnmountRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "unmount", description = "End a runtime: its processes see the empty view again.")
final class UnmountCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public void run() {
        try (DaemonClient client = DaemonClient.connect(strata)) {
            client.call(c -> c.unmount(UnmountRequest.newBuilder().setName(name).build()));
            strata.err.println("strata: runtime " + name + " ended");
        }
    }
}
