package dev.strata.ops.cli;

import dev.strata.persistence.Checker;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "check", description = "Verify every object and blob against its digest; exit 1 naming each problem.")
final class CheckCommand implements java.util.concurrent.Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Override
    public Integer call() {
        Checker.Report report = new Checker(strata.home().repository()).check();
        report.problems().forEach(p -> strata.out.println("corrupt: " + p));
        strata.err.printf("checked %d objects and %d blobs: %s%n", report.objects(), report.blobs(),
                report.ok() ? "all sound" : report.problems().size() + " problems");
        return report.ok() ? 0 : 1;
    }
}
