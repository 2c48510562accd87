package dev.strata.ops.cli;

import dev.strata.persistence.Collector;
import dev.strata.persistence.Digest;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
                r.tempFiles() > 0 ? " and " + r.tempFiles() + " leftover temp files" : "");
    }

    /** The layers of every runtime and snapshot on disk (their commits and captures may have no tag). */
    private Set<Digest> runtimeLayers() {
        Set<Digest> roots = new HashSet<>();
        try {
            for (Path dir : children(strata.home().runtimesPath())) {
                RuntimeRecord record = RuntimeRecord.read(dir);
                if (record != null) {
                    roots.addAll(record.layers());
                }
            }
            for (Path dir : children(strata.home().snapshotsPath())) {
                SnapshotRecord record = SnapshotRecord.read(dir);
                if (record != null) {
                    roots.addAll(record.layers());
                }
            }
        } catch (IOException e) {
            throw new RepositoryException("cannot read the runtimes and snapshots of " + strata.home().root() + ": " + e.getMessage());
        }
        return roots;
    }

    private static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir)) {
                dirs.forEach(out::add);
            }
        }
        return out;
    }
}
