package dev.strata.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How far a long piece of work on a scratch (a commit, a capture) has come: files and bytes done of
 * the totals planned. The worker writes it; anyone may read it while the work runs, so a client can
 * draw a determinate progress bar.
 */
public final class WorkMeter {
    /** A consistent-enough reading: each figure is exact, the four are read one after another. */
    public record Reading(long filesDone, long filesTotal, long bytesDone, long bytesTotal) {
        public static final Reading IDLE = new Reading(0, 0, 0, 0);
    }

    private final AtomicLong filesTotal = new AtomicLong();
    private final AtomicLong bytesTotal = new AtomicLong();
    private final AtomicLong filesDone = new AtomicLong();
    private final AtomicLong bytesDone = new AtomicLong();

    /** The work ahead: {@code files} files of {@code bytes} bytes in all. */
    public void plan(long files, long bytes) {
        filesTotal.set(files);
        bytesTotal.set(bytes);
    }

    /** One more file done, of {@code bytes} bytes. */
    public void fileDone(long bytes) {
        bytesDone.addAndGet(bytes);
        filesDone.incrementAndGet();
    }

    public Reading read() {
        return new Reading(filesDone.get(), filesTotal.get(), bytesDone.get(), bytesTotal.get());
    }
}
