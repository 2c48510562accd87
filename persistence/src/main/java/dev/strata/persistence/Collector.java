package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Garbage collection: removes objects and blobs that no root reaches. Roots are every target in
 * every tag's history (so {@code name~N} keeps resolving) plus what the caller adds (runtimes).
 * It holds the repository lock exclusively, so it waits for imports in progress and never removes
 * what they are about to tag.
 */
public final class Collector {
    private final Repository repo;

    /** What was (or, in a dry run, would be) removed. */
    public record Report(List<Digest> objects, List<Digest> blobs, long bytes, int tempFiles) {
    }

    public Collector(Repository repo) {
        this.repo = repo;
    }

    public Report clean(boolean dryRun, Set<Digest> extraRoots) {
        return clean(dryRun, () -> extraRoots);
    }

    /** {@code extraRoots} (what runtimes stand on, beside tags) are read once the repository is locked. */
    public Report clean(boolean dryRun, java.util.function.Supplier<Set<Digest>> extraRoots) {
        try (RepositoryLock.Held held = repo.collecting()) {
            Set<Digest> liveObjects = new HashSet<>();
            Set<Digest> liveBlobs = new HashSet<>();
            ArrayDeque<Digest> work = new ArrayDeque<>(extraRoots.get());
            for (String tag : repo.tags().names()) {
                repo.tags().history(tag).forEach(e -> work.add(e.target()));
            }
            while (!work.isEmpty()) {
                Digest d = work.poll();
                if (!liveObjects.add(d) || !repo.objects().contains(d)) {
                    continue;
                }
                RepoObject o = repo.read(d);
                if (o instanceof Layer l) {
                    work.add(l.manifest());
                } else if (o instanceof Platform p) {
                    work.addAll(p.layers());
                } else if (o instanceof ManifestObject m) {
                    for (int i = 0; i < m.manifest().blobCount(); i++) {
                        liveBlobs.add(m.manifest().blobAt(i));
                    }
                }
            }
            List<Digest> deadObjects = dead(repo.objects(), liveObjects);
            List<Digest> deadBlobs = dead(repo.blobs(), liveBlobs);
            long bytes = size(repo.objects(), deadObjects) + size(repo.blobs(), deadBlobs);
            int temps = 0;
            if (!dryRun) {
                deadObjects.forEach(repo.objects()::delete);
                deadBlobs.forEach(repo.blobs()::delete);
                temps = removeTempFiles();
            }
            return new Report(deadObjects, deadBlobs, bytes, temps);
        }
    }

    private static List<Digest> dead(ContentStore store, Set<Digest> live) {
        List<Digest> dead = new ArrayList<>();
        for (Digest d : store.list(p -> { })) {
            if (!live.contains(d)) {
                dead.add(d);
            }
        }
        dead.sort(null);
        return dead;
    }

    private static long size(ContentStore store, List<Digest> digests) {
        long total = 0;
        for (Digest d : digests) {
            try {
                total += Files.size(store.path(d));
            } catch (IOException e) {
                // gone already: nothing to count
            }
        }
        return total;
    }

    /** Under the exclusive lock no write is in progress, so every temp file is a crash's leftover. */
    private int removeTempFiles() {
        int removed = 0;
        if (!Files.isDirectory(repo.tmpDir())) {
            return 0;
        }
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(repo.tmpDir())) {
            for (Path t : temps) {
                Files.deleteIfExists(t);
                removed++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cleaning " + repo.tmpDir() + " failed", e);
        }
        return removed;
    }
}
