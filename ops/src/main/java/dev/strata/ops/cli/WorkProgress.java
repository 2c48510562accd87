package dev.strata.ops.cli;

import dev.strata.protocol.ProgressReply;
import dev.strata.protocol.ProgressRequest;
import dev.strata.protocol.StrataControl;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A determinate progress bar for work the daemon does on a runtime (a commit, a snapshot capture):
 * the files and bytes of its work meter, with rate and ETA, drawn while the call waits; nothing when
 * stderr is not a terminal. The meter is read with the Progress call, under the same rule as the work.
 */
final class WorkProgress implements AutoCloseable {
    /** A commit hashes every changed byte: a large scratch takes long. */
    static final Duration PATIENCE = Duration.ofMinutes(30);
    private static final Duration EVERY = Duration.ofMillis(200);

    private final StrataCommand strata;
    private final DaemonClient client;
    private final ProgressRequest which;
    private final String task;
    private ProgressBar bar;
    private long files;
    private boolean unanswered;

    private WorkProgress(StrataCommand strata, DaemonClient client, ProgressRequest which, String task) {
        this.strata = strata;
        this.client = client;
        this.which = which;
        this.task = task;
    }

    /** Makes the call and waits for its answer, drawing the work on {@code which} runtime meanwhile. */
    static <T> T await(StrataCommand strata, DaemonClient client, String task, ProgressRequest which,
                       Function<StrataControl, CompletionStage<T>> rpc) {
        if (!strata.interactive()) {
            return client.call(rpc, PATIENCE);
        }
        try (WorkProgress progress = new WorkProgress(strata, client, which, task)) {
            T answer = client.call(rpc, PATIENCE, EVERY, progress::poll);
            progress.finish();
            return answer;
        }
    }

    private void poll() {
        if (unanswered) {
            return;
        }
        ProgressReply work;
        try {
            work = client.call(c -> c.progress(which), Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            unanswered = true; // a daemon without the call, or the runtime gone: the answer will say
            return;
        }
        if (work.getBytesTotal() == 0) {
            return; // not planned yet, or nothing to hash
        }
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(work.getBytesTotal()).setUnit("MiB", 1 << 20).showSpeed()
                    .setUpdateIntervalMillis((int) EVERY.toMillis()).setConsumer(strata.progressConsumer()).build();
        }
        files = work.getFilesTotal();
        show(work.getBytesDone(), work.getFilesDone());
    }

    private void show(long bytes, long filesDone) {
        bar.stepTo(bytes);
        bar.setExtraMessage(" " + filesDone + "/" + Format.count(files, "file"));
    }

    /** The answer came: all of it is done, whatever the last reading said. */
    private void finish() {
        if (bar != null) {
            show(bar.getMax(), files);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
