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
        strata.err.printf("checked %s and %s: %s%n", Format.count(report.objects(), "object"), Format.count(report.blobs(), "blob"),
                report.ok() ? "all sound" : Format.count(report.problems().size(), "problem"));
        return report.ok() ? 0 : 1;
    }
}
