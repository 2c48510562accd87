package dev.strata.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A copy-up that does not make its writer wait for the whole file: the scratch file starts sparse
 * at the lower file's size, and each chunk (1 MiB by default) is copied from the lower blob when
 * something first touches it ({@link #ensure}) or when a background thread reaches it, whichever
 * comes first. A chunk is written to by the runtime only after it was copied, so an unmarked chunk
 * never holds the runtime's bytes. A map file (the chunk size, then one byte per chunk) marks the
 * copied ones; it survives a killed daemon, and {@link #resume} finishes the copy from it. The map
 * goes when the copy is complete.
 */
public final class LazyCopy {
    public static final int DEFAULT_CHUNK = 1 << 20;
    private static final int HEADER = 4;
    private static final ScheduledExecutorService FILLER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "strata-copy-up");
        t.setDaemon(true);
        return t;
    });
    /**
     * The background copy starts after this: the request that caused the copy-up and the write that
     * follows it come first (on 2 cores a copy running flat out made the first write wait ~10 ms).
     */
    private static final long FILL_DELAY_MILLIS = 50;

    private final Path map;
    private final int chunk;
    private final long size;
    private final boolean[] copied;
    private int left;
    private FileChannel from;
    private FileChannel to;
    private FileChannel marks;
    private ByteBuffer buffer;
    private boolean closed;

    private LazyCopy(Path source, Path target, Path map, int chunk, long size, boolean[] copied) throws IOException {
        this.map = map;
        this.chunk = chunk;
        this.size = size;
        this.copied = copied;
        for (boolean c : copied) {
            left += c ? 0 : 1;
        }
        if (left > 0) {
            from = FileChannel.open(source, StandardOpenOption.READ);
            to = FileChannel.open(target, StandardOpenOption.WRITE);
            marks = FileChannel.open(map, StandardOpenOption.WRITE);
        }
    }

    /**
     * Starts copying {@code source} ({@code size} bytes) into {@code target}, which must exist (sparse,
     * of that size), in chunks of {@code chunk} bytes.
     */
    public static LazyCopy start(Path source, Path target, Path map, int chunk, long size) throws IOException {
        int chunks = (int) ((size + chunk - 1) / chunk);
        try (FileChannel m = FileChannel.open(map, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            m.write(ByteBuffer.allocate(HEADER + chunks).putInt(0, chunk), 0);
        }
        return begin(new LazyCopy(source, target, map, chunk, size, new boolean[chunks]));
    }

    /** Continues a copy its map file describes (after a restart). */
    public static LazyCopy resume(Path source, Path target, Path map, long size) throws IOException {
        byte[] marked = Files.readAllBytes(map);
        int chunk = marked.length >= HEADER ? ByteBuffer.wrap(marked).getInt(0) : 0;
        if (chunk <= 0) {
            throw new IOException("the copy-up map " + map + " is damaged: it names no chunk size");
        }
        int chunks = (int) ((size + chunk - 1) / chunk);
        boolean[] copied = new boolean[chunks];
        for (int i = 0; i < chunks; i++) {
            copied[i] = HEADER + i < marked.length && marked[HEADER + i] != 0;
        }
        LazyCopy copy = new LazyCopy(source, target, map, chunk, size, copied);
        if (copy.left == 0) {
            Files.deleteIfExists(map);
        }
        return begin(copy);
    }

    private static LazyCopy begin(LazyCopy copy) {
        if (!copy.complete()) {
            FILLER.schedule(() -> {
                try {
                    copy.ensure(0, copy.size);
                } catch (IOException e) {
                    // the runtime's next use of the file copies what is missing, and reports the failure
                }
            }, FILL_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
        return copy;
    }

    /** Copies the chunks under {@code [offset, offset + length)} that are not copied yet; past the lower size there is nothing. */
    public void ensure(long offset, long length) throws IOException {
        if (length <= 0 || offset >= size) {
            return;
        }
        int first = (int) (offset / chunk);
        int last = (int) ((Math.min(size, offset + length) - 1) / chunk);
        for (int i = first; i <= last; i++) {
            copyChunk(i);
        }
    }

    public void ensureAll() throws IOException {
        ensure(0, size);
    }

    public synchronized boolean complete() {
        return left == 0;
    }

    private synchronized void copyChunk(int i) throws IOException {
        if (copied[i]) {
            return;
        }
        if (closed) {
            throw new IOException("the copy-up was stopped");
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(chunk);
        }
        long at = (long) i * chunk;
        int length = (int) Math.min(chunk, size - at);
        buffer.clear().limit(length);
        while (buffer.hasRemaining()) {
            if (from.read(buffer, at + buffer.position()) < 0) {
                throw new IOException("the lower file ended before its size, at " + (at + buffer.position()));
            }
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
            to.write(buffer, at + buffer.position());
        }
        marks.write(ByteBuffer.wrap(new byte[] {1}), HEADER + i);
        copied[i] = true;
        if (--left == 0) {
            release();
            Files.deleteIfExists(map);
        }
    }

    /** Stops copying (the scratch closes or the file is gone); the map stays for a {@link #resume}. */
    public synchronized void stop() {
        closed = true;
        release();
    }

    private void release() {
        for (FileChannel c : new FileChannel[] {from, to, marks}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                // nothing was lost: every copied chunk was written before its mark
            }
        }
        buffer = null;
    }
}
