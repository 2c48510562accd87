package dev.strata.actors;

import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.ForkJoinExecutorConfigurator;

/**
 * The Mounts' executor: a Mount that a kernel request finds idle runs on the thread that read the
 * request, at once; everything else runs on a fork-join pool. Handing each request to a pool thread
 * cost a thread wake-up on the way in, about half of a request's time on 2 cores. Actor semantics
 * do not change: the dispatcher still runs a Mount only once its mailbox is scheduled, one message
 * at a time, and a Mount already running elsewhere just gets the message in its mailbox.
 *
 * <p>Only a send made inside {@link #onThisThread} runs here; while it runs, the thread is a pool
 * thread like any other, so what a Mount sends on goes to the pool.
 */
public final class RequestThreadExecutor extends ExecutorServiceConfigurator {
    private static final ThreadLocal<Boolean> REQUEST_THREAD = ThreadLocal.withInitial(() -> false);

    private final ForkJoinExecutorConfigurator pool;

    public RequestThreadExecutor(Config config, DispatcherPrerequisites prerequisites) {
        super(config, prerequisites);
        this.pool = new ForkJoinExecutorConfigurator(config.getConfig("fork-join-executor"), prerequisites);
    }

    /** Runs {@code send} (a tell to a Mount) so that the Mount, when idle, answers on this thread before it returns. */
    public static void onThisThread(Runnable send) {
        REQUEST_THREAD.set(true);
        try {
            send.run();
        } finally {
            REQUEST_THREAD.set(false);
        }
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
        ExecutorServiceFactory others = pool.createExecutorServiceFactory(id, threadFactory);
        return () -> new Inline(others.createExecutorService());
    }

    private static final class Inline extends AbstractExecutorService {
        private final ExecutorService pool;

        Inline(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            if (!REQUEST_THREAD.get()) {
                pool.execute(task);
                return;
            }
            REQUEST_THREAD.set(false);
            try {
                task.run();
            } finally {
                REQUEST_THREAD.set(true);
            }
        }

        @Override
        public void shutdown() {
            pool.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return pool.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return pool.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return pool.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return pool.awaitTermination(timeout, unit);
        }
    }
}
