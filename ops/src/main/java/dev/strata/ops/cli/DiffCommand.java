package dev.strata.ops.cli;

import dev.strata.engine.ViewDiff;
import dev.strata.persistence.Repository;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.DiffRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "diff", description = {"List paths added (+), removed (-) and changed (~) from REFS_A to REFS_B.",
        "Without REFS, inside an editable runtime: what its scratch changed."})
final class DiffCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REFS_A")
    String a;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REFS_B")
    String b;

    @Override
    public void run() {
        if (a == null) {
            scratch();
            return;
        }
        if (b == null) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine(), "diff needs two env specs, or none inside a runtime");
        }
        Repository repo = strata.home().repository();
        for (ViewDiff.Change c : ViewDiff.diff(Views.load(repo, a).manifest(), Views.load(repo, b).manifest())) {
            strata.out.println(c);
        }
    }

    /** The scratch's changes, in the same notation as a diff of two specs. */
    private void scratch() {
        print(strata, DaemonClient.once(strata, c -> c.diff(DiffRequest.newBuilder().setPid(strata.callerPid()).build())));
    }

    static void print(StrataCommand strata, DiffReply reply) {
        for (DiffReply.Change c : reply.getChangesList()) {
            char mark = switch (c.getStatus()) {
                case "A" -> '+';
                case "D" -> '-';
                default -> '~';
            };
            strata.out.println(mark + " /" + c.getPath());
        }
    }
}
