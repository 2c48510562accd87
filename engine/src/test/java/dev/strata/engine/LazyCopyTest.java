package dev.strata.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyCopyTest {
    private static final int CHUNK = LazyCopy.DEFAULT_CHUNK;

    @TempDir
    Path tmp;

    private Path source(long size) throws Exception {
        byte[] content = new byte[(int) size];
        new Random(7).nextBytes(content);
        return Files.write(tmp.resolve("lower"), content);
    }

    private Path sparse(long size) throws Exception {
        Path target = tmp.resolve("scratch");
        try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
            f.setLength(size);
        }
        return target;
    }

    private static void write(Path file, long at, String text) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            f.write(text.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static byte[] with(byte[] content, long at, String text) {
        byte[] out = content.clone();
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, out, (int) at, t.length);
        return out;
    }

    @Test
    void whatIsTouchedIsCopiedFirstAndEverythingEndsUpCopied() throws Exception {
        long size = 5L * CHUNK + CHUNK / 2;
        Path lower = source(size);
        Path scratch = sparse(size);
        Path map = tmp.resolve("map");
        LazyCopy copy = LazyCopy.start(lower, scratch, map, CHUNK, size);
        long at = 3L * CHUNK + 10;
        copy.ensure(at, 4);
        write(scratch, at, "MINE");
        copy.ensure(size, 1); // past the lower size: nothing to copy
        copy.ensureAll();
        assertTrue(copy.complete());
        assertFalse(Files.exists(map), "the map goes with the copy's end");
        assertArrayEquals(with(Files.readAllBytes(lower), at, "MINE"), Files.readAllBytes(scratch));
    }

    @Test
    void aStoppedCopyResumesFromItsMapAndLeavesWrittenChunksAlone() throws Exception {
        long size = 3L * CHUNK + 100;
        Path lower = source(size);
        byte[] content = Files.readAllBytes(lower);
        Path scratch = sparse(size);
        // as a killed daemon leaves it: chunks 0 and 1 copied, chunk 1 then written, 2 and 3 never copied
        try (RandomAccessFile f = new RandomAccessFile(scratch.toFile(), "rw")) {
            f.write(content, 0, 2 * CHUNK);
        }
        write(scratch, CHUNK + 5, "WRITTEN");
        Path map = Files.write(tmp.resolve("map"), java.nio.ByteBuffer.allocate(8).putInt(CHUNK).put(new byte[] {1, 1, 0, 0}).array());
        LazyCopy copy = LazyCopy.resume(lower, scratch, map, size);
        copy.ensureAll();
        assertTrue(copy.complete());
        assertFalse(Files.exists(map));
        assertArrayEquals(with(content, CHUNK + 5, "WRITTEN"), Files.readAllBytes(scratch));
    }
}
