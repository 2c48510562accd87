package dev.strata.ops.cli;

import dev.strata.persistence.Collector;
import dev.strata.persistence.Digest;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "clean", description = "Remove objects and blobs that no tag, runtime or snapshot reaches (waits for imports and commits in progress).")
final class CleanCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--dry-run", description = "Only list what would be removed.")
    boolean dryRun;

    @Override
    public void run() {
        Collector.Report r = new Collector(strata.home().repository()).clean(dryRun, this::runtimeLayers);
        if (dryRun) {
            r.objects().forEach(d -> strata.out.println("object " + d.hex()));
            r.blobs().forEach(d -> strata.out.println("blob   " + d.hex()));
        }
        strata.err.printf("%s %d objects and %d blobs (%s)%s%n", dryRun ? "would remove" : "removed",
                r.objects().size(), r.blobs().size(), Format.bytes(r.bytes()),
                r.tempFiles() > 0 ? " and " + Format.count(r.tempFiles(), "leftover temp file") : "");
    }

    /** The layers of every runtime and snapshot on disk (their commits and captures may have no tag). */
    private Set<Digest> runtimeLayers() {
        Set<Digest> roots = new HashSet<>();
        try {
            RuntimeRecord.readAll(strata.home().runtimesPath()).forEach(r -> roots.addAll(r.layers()));
            SnapshotRecord.readAll(strata.home().snapshotsPath()).forEach(s -> roots.addAll(s.layers()));
        } catch (IOException e) {
            throw new RepositoryException("cannot read the runtimes and snapshots of " + strata.home().root() + ": " + e.getMessage());
        }
        return roots;
    }
}
