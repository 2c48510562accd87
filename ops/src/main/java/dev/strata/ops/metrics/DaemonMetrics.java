package dev.strata.ops.metrics;

import dev.strata.actors.RouteCache;
import dev.strata.engine.Overlay;
import dev.strata.engine.SharedAnswers;
import dev.strata.fuse.Operation;
import dev.strata.fuse.RequestObserver;
import dev.strata.persistence.ScratchJournal;
import dev.strata.persistence.ReadThrough;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;

/**
 * The daemon's meters: kernel requests and their answer latency per FUSE opcode, control calls and
 * their latency per method, the engine's counts, and read-through fetches. Meters are made once per opcode or method and
 * kept in arrays and maps, so recording a request is a lookup and a histogram update.
 */
public final class DaemonMetrics implements RequestObserver {
    private static final int OPCODES = Operation.values().length;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReferenceArray<Counter> received = new AtomicReferenceArray<>(OPCODES);
    private final AtomicReferenceArray<Timer> answered = new AtomicReferenceArray<>(OPCODES);
    private final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(OPCODES);
    private final ConcurrentHashMap<String, Timer> calls = new ConcurrentHashMap<>();

    public DaemonMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /**
     * The engine's own counts, read when scraped (they cost a counter increment where they happen):
     * copy-ups and their bytes, scratch journal appends and fsyncs, route-cache hits and misses, and
     * the runtimes running by kind.
     */
    public void engine(RouteCache routes) {
        FunctionCounter.builder("strata_copy_ups", routes, r -> Overlay.copyUps()).description("lower files copied into a scratch")
                .register(registry);
        FunctionCounter.builder("strata_lazy_copy_ups", routes, r -> Overlay.lazyCopyUps())
                .description("copy-ups that answered at once and fill the scratch file chunk by chunk").register(registry);
        FunctionCounter.builder("strata_copy_up_bytes", routes, r -> Overlay.copyUpBytes()).baseUnit("bytes")
                .description("bytes copied into a scratch by copy-ups").register(registry);
        FunctionCounter.builder("strata_journal_appends", routes, r -> ScratchJournal.appends()).description("scratch journal records appended")
                .register(registry);
        FunctionCounter.builder("strata_journal_fsyncs", routes, r -> ScratchJournal.syncs()).description("scratch journal fsyncs")
                .register(registry);
        FunctionCounter.builder("strata_route_cache", routes, RouteCache::hits).tag("result", "hit")
                .description("kernel requests routed by the route cache (hit) or by the Router (miss)").register(registry);
        FunctionCounter.builder("strata_route_cache", routes, RouteCache::misses).tag("result", "miss").register(registry);
        for (RouteCache.RuntimeKind kind : RouteCache.RuntimeKind.values()) {
            Gauge.builder("strata_runtimes", routes, r -> r.running(kind)).tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                    .description("runtimes running, by kind").register(registry);
        }
    }

    /**
     * What the kernel keeps for every runtime (engine {@code SharedAnswers}): paths whose answers it
     * may keep, paths views marked as theirs, the notifications that made it drop kept answers, and
     * the requests answered ESTALE so that it walked a path again.
     */
    public void keptAnswers(SharedAnswers answers) {
        Gauge.builder("strata_kept_answers", answers, SharedAnswers::remembered)
                .description("paths whose entry, attributes or listing the kernel may keep for every runtime").register(registry);
        Gauge.builder("strata_kept_answer_marks", answers, SharedAnswers::markCount)
                .description("paths a view changed, whose answers the kernel does not keep").register(registry);
        FunctionCounter.builder("strata_kept_answer_drops", answers, SharedAnswers::notifications)
                .description("notifications that made the kernel drop kept answers").register(registry);
        FunctionCounter.builder("strata_kept_answer_walks_asked_again", answers, SharedAnswers::walksAskedAgain)
                .description("requests answered ESTALE so that the kernel walked a path again, asking its view").register(registry);
    }

    /** Threads reading the FUSE device: the configured readers, and those added while one was held by a slow answer. */
    public void fuseReaders(IntSupplier readers) {
        Gauge.builder("strata_fuse_readers", readers, IntSupplier::getAsInt).strongReference(true) // a lambda: nothing else holds it
                .description("threads reading the FUSE device; more than strata.readers while an answer holds one").register(registry);
    }

    /** The FUSE connections of one view that trees started with --own-mount handed over, served now. */
    public void ownMounts(IntSupplier live) {
        Gauge.builder("strata_own_mounts", live, IntSupplier::getAsInt).strongReference(true)
                .description("FUSE connections of one runtime each (strata run --own-mount), served now").register(registry);
    }

    /** Counts what read-through fetched, when remotes are read. */
    public void readThrough(ReadThrough readThrough) {
        FunctionCounter.builder("strata_remote_fetches", readThrough, r -> r.counts().fetches()).description("blobs fetched from remotes")
                .register(registry);
        FunctionCounter.builder("strata_remote_fetched_bytes", readThrough, r -> r.counts().bytes()).baseUnit("bytes").register(registry);
        FunctionCounter.builder("strata_remote_fetch_failures", readThrough, r -> r.counts().failures()).register(registry);
    }

    @Override
    public void received(Operation operation) {
        int opcode = operation.ordinal();
        Counter c = received.get(opcode);
        if (c == null) {
            c = Counter.builder("strata_fuse_requests").description("kernel requests received").tag("opcode", operation.name())
                    .register(registry);
            received.set(opcode, c);
        }
        c.increment();
    }

    @Override
    public void answered(Operation operation, long nanos, boolean error) {
        int opcode = operation.ordinal();
        Timer t = answered.get(opcode);
        if (t == null) {
            t = Timer.builder("strata_fuse_answer").description("from a request's arrival to its answer, for requests the bridge hands on")
                    .tag("opcode", operation.name()).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1_000)).maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
            answered.set(opcode, t);
        }
        t.record(nanos, TimeUnit.NANOSECONDS);
        if (error) {
            Counter e = errors.get(opcode);
            if (e == null) {
                e = Counter.builder("strata_fuse_errors").description("requests answered with an error").tag("opcode", operation.name())
                        .register(registry);
                errors.set(opcode, e);
            }
            e.increment();
        }
    }

    /** Records one control call of {@code method}: one of the service's own names ("Mount", "Status", ...) or "other". */
    public void controlCall(String method, long nanos, boolean ok) {
        calls.computeIfAbsent(method + (ok ? "" : "!"), k -> Timer.builder("strata_control_calls").description("control calls and their latency")
                .tag("method", method).tag("outcome", ok ? "ok" : "error").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofMinutes(30)).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Every meter, in Prometheus' text exposition format. */
    public String scrape() {
        return registry.scrape();
    }
}
