package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's records of runtimes and snapshots on disk ({@code runtimes/<name>/runtime},
 * {@code snapshots/<name>/snapshot}): the one place the lifecycle owner reads, creates and removes
 * them. Blocking I/O: callers run it off the default dispatcher.
 */
public final class RuntimeStore {
    private final Path runtimes;
    private final Path snapshots;

    public RuntimeStore(Path runtimes, Path snapshots) {
        this.runtimes = runtimes;
        this.snapshots = snapshots;
    }

    public Path runtimeDir(String name) {
        return runtimes.resolve(name);
    }

    public Path snapshotDir(String name) {
        return snapshots.resolve(name);
    }

    /** The record of runtime or branch {@code name}, or null. */
    public RuntimeRecord runtime(String name) {
        try {
            return RuntimeRecord.read(runtimeDir(name));
        } catch (IOException e) {
            throw new RepositoryException("the record of runtime " + name + " is unreadable: " + e.getMessage(), e);
        }
    }

    public boolean runtimeExists(String name) {
        return Files.exists(RuntimeRecord.file(runtimeDir(name)));
    }

    public boolean snapshotExists(String name) {
        return Files.exists(snapshotDir(name));
    }

    /**
     * Writes the record of a new runtime, and its first tree, over whatever an ended namesake left in
     * its directory. The tree is recorded here rather than by {@link #addRoot} once bound: a start then
     * costs two small writes instead of five, and a start that fails to bind removes the directory.
     */
    public void create(RuntimeRecord record, Root root) {
        Path dir = runtimeDir(record.name());
        try {
            Renderer.deleteTree(dir);
            record.write(dir);
            writeRoots(dir.resolve("roots"), List.of(root));
        } catch (IOException | UncheckedIOException e) {
            throw new RepositoryException("cannot create runtime '" + record.name() + "': " + e.getMessage(), e);
        }
    }

    /** Writes the record of a new branch; refused when the name is taken. */
    public void createBranch(RuntimeRecord record) {
        if (runtimeExists(record.name())) {
            throw new NameTakenException("a runtime or branch named '" + record.name() + "' exists already");
        }
        try {
            record.write(runtimeDir(record.name()));
        } catch (IOException e) {
            throw new RepositoryException("cannot create branch '" + record.name() + "': " + e.getMessage(), e);
        }
    }

    public void deleteRuntime(String name) {
        Renderer.deleteTree(runtimeDir(name));
    }

    /** A branch name of the form {@code SNAPSHOT-branch-N} that no runtime has. */
    public String freeBranchName(String snapshot) {
        for (int i = 1; ; i++) {
            String name = snapshot + "-branch-" + i;
            if (!Files.exists(runtimeDir(name))) {
                return name;
            }
        }
    }

    public List<RuntimeRecord> runtimes() {
        try {
            return RuntimeRecord.readAll(runtimes);
        } catch (IOException e) {
            throw new RepositoryException("cannot list " + runtimes + ": " + e.getMessage(), e);
        }
    }

    /** A process tree bound to a runtime: its root's pid and start time (so a reused pid is told apart). */
    public record Root(int pid, long startTime) {
    }

    /**
     * Records that the tree of {@code root} is bound to runtime {@code name}, so a restarted daemon can
     * give it its view again. A file of its own ({@code roots}, one line each): the runtime's record is
     * the Mount's to rewrite on commit.
     */
    public void addRoot(String name, Root root) {
        Path file = runtimeDir(name).resolve("roots");
        try {
            Files.createDirectories(file.getParent());
            List<Root> roots = new java.util.ArrayList<>(roots(name));
            if (!roots.contains(root)) {
                roots.add(root);
                writeRoots(file, roots);
            }
        } catch (IOException e) {
            throw new RepositoryException("cannot record a process tree of runtime '" + name + "': " + e.getMessage(), e);
        }
    }

    public void removeRoot(String name, Root root) {
        Path file = runtimeDir(name).resolve("roots");
        List<Root> roots = new java.util.ArrayList<>(roots(name));
        if (roots.remove(root) && Files.isDirectory(file.getParent())) {
            writeRoots(file, roots);
        }
    }

    private static void writeRoots(Path file, List<Root> roots) {
        StringBuilder text = new StringBuilder();
        roots.forEach(r -> text.append(r.pid()).append(' ').append(r.startTime()).append('\n'));
        // no fsync: the trees it names cannot outlive a power loss
        AtomicFiles.write(file, text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), file.getParent(), false);
    }

    /** The process trees recorded for runtime {@code name} (some may have exited since). */
    public List<Root> roots(String name) {
        Path file = runtimeDir(name).resolve("roots");
        try {
            return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> l.trim().split(" "))
                    .map(f -> new Root(Integer.parseInt(f[0]), Long.parseLong(f[1]))).toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException | RuntimeException e) {
            throw new RepositoryException("the process trees of runtime '" + name + "' are unreadable: " + e.getMessage(), e);
        }
    }

    /** A name that a new runtime, branch or snapshot asked for is taken. */
    public static final class NameTakenException extends RepositoryException {
        public NameTakenException(String message) {
            super(message);
        }
    }
}
