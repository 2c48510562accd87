package dev.strata.ops.cli;

import dev.strata.engine.ViewDiff;
import dev.strata.persistence.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "diff", description = "List paths added (+), removed (-) and changed (~) from REFS_A to REFS_B.")
final class DiffCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "REFS_A")
    String a;

    @Parameters(index = "1", paramLabel = "REFS_B")
    String b;

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        for (ViewDiff.Change c : ViewDiff.diff(Views.load(repo, a).manifest(), Views.load(repo, b).manifest())) {
            strata.out.println(c);
        }
    }
}
