package dev.strata.ops.cli;

import dev.strata.persistence.Collector;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "clean", description = "Remove objects and blobs that no tag reaches (waits for imports in progress).")
final class CleanCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--dry-run", description = "Only list what would be removed.")
    boolean dryRun;

    @Override
    public void run() {
        Collector.Report r = new Collector(strata.home().repository()).clean(dryRun, Set.of());
        if (dryRun) {
            r.objects().forEach(d -> strata.out.println("object " + d.hex()));
            r.blobs().forEach(d -> strata.out.println("blob   " + d.hex()));
        }
        strata.err.printf("%s %d objects and %d blobs (%s)%s%n", dryRun ? "would remove" : "removed",
                r.objects().size(), r.blobs().size(), Format.bytes(r.bytes()),
                r.tempFiles() > 0 ? " and " + r.tempFiles() + " leftover temp files" : "");
    }

}
