package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Write-to-temp, fsync, rename: the only way Strata writes a file that others read. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A new empty temp file in {@code dir}, which must be on the same filesystem as the target. */
    public static Path tempFile(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "tmp-", ".part");
    }

    /** Replaces {@code target} with {@code content} atomically and durably. */
    public static void write(Path target, byte[] content, Path tmpDir) {
        write(target, content, tmpDir, true);
    }

    /**
     * Replaces {@code target} with {@code content} atomically; {@code durable} adds the fsyncs that make
     * it survive a power loss (state that only has to outlive a killed daemon can skip them).
     */
    public static void write(Path target, byte[] content, Path tmpDir, boolean durable) {
        Path temp = null;
        try {
            temp = tempFile(tmpDir);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                out.write(java.nio.ByteBuffer.wrap(content));
                if (durable) {
                    out.force(true);
                }
            }
            Files.createDirectories(target.getParent());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            if (durable) {
                fsyncDirectory(target.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + target + " failed: " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /** Makes a rename in {@code dir} durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    public static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover temp file is removed by the next clean
            }
        }
    }
}
