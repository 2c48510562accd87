package dev.strata.actors;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import dev.strata.actors.process.ProcessIdentity;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The Router's recent decisions, published for the FUSE bridge: which Mount serves a thread. A hit
 * lets a kernel request go straight to its Mount, skipping a hop through the Router; the Router
 * alone writes it, and clears it whenever a runtime starts or ends. Beside them, the Router's sticky
 * routes, which Runtimes reads to locate a process without a round trip through the Router, and
 * Runtimes' census of running runtimes by kind, for the daemon's metrics.
 */
public final class RouteCache {
    /** How long a thread's route is trusted before its ancestry is read again. */
    static final long TTL_NANOS = Duration.ofMillis(250).toNanos();

    private record Route(ActorRef<Mount.Command> mount, long expiresAt) {
    }

    private final Map<Integer, Route> routes = new ConcurrentHashMap<>();
    private final Map<ProcessIdentity, String> sticky = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final int[] census = new int[RuntimeKind.values().length];

    /** The Mount serving thread {@code tid}, or null when the Router must decide: the bridge's question, counted. */
    public ActorRef<Mount.Command> mountFor(int tid) {
        ActorRef<Mount.Command> mount = cached(tid);
        (mount == null ? misses : hits).increment();
        return mount;
    }

    /** The same, not counted: the Router asks again for a request the bridge already counted. */
    ActorRef<Mount.Command> cached(int tid) {
        Route r = routes.get(tid);
        if (r == null) {
            return null;
        }
        if (r.expiresAt() - System.nanoTime() < 0) {
            routes.remove(tid, r);
            return null;
        }
        return r.mount();
    }

    /** Requests that found their Mount here, and those that went through the Router. */
    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** The kinds of runtime that can run. */
    public enum RuntimeKind { READ_ONLY, EDITABLE, DURABLE }

    /** Runtimes running of {@code kind}, as Runtimes last published. */
    public int running(RuntimeKind kind) {
        synchronized (census) {
            return census[kind.ordinal()];
        }
    }

    void publishCensus(java.util.Collection<RuntimeInfo> running) {
        int[] counts = new int[census.length];
        for (RuntimeInfo info : running) {
            counts[(info.durable() ? RuntimeKind.DURABLE : info.editable() ? RuntimeKind.EDITABLE : RuntimeKind.READ_ONLY).ordinal()]++;
        }
        synchronized (census) {
            System.arraycopy(counts, 0, census, 0, counts.length);
        }
    }

    void put(int tid, ActorRef<Mount.Command> mount) {
        routes.put(tid, new Route(mount, System.nanoTime() + TTL_NANOS));
    }

    void clear() {
        routes.clear();
    }

    /** The Router's sticky routes (a process that resolved to a runtime keeps it): only the Router changes them. */
    Map<ProcessIdentity, String> sticky() {
        return sticky;
    }
}
