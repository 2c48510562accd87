package dev.strata.ops.sim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What one run of a scenario measured, per operation kind: an HdrHistogram of latencies (recorded by
 * many agents at once), operations per second of the run, and errors by kind.
 */
final class Measurements {
    /** Latencies are kept from 1 ns to an hour, to three significant digits. */
    private static final long HIGHEST_NANOS = 3_600_000_000_000L;

    private final long startNanos;
    private final int seconds;
    private final Map<String, ConcurrentHistogram> latencies = new ConcurrentHashMap<>();
    private final Map<String, AtomicLongArray> perSecond = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder operations = new LongAdder();
    private final LongAdder failures = new LongAdder();

    /** {@code seconds}: the longest the run can last (later operations count in its last second). */
    Measurements(long startNanos, int seconds) {
        this.startNanos = startNanos;
        this.seconds = Math.max(1, seconds);
    }

    void record(String kind, long nanos) {
        latencies.computeIfAbsent(kind, k -> new ConcurrentHistogram(1, HIGHEST_NANOS, 3))
                .recordValue(Math.max(1, Math.min(nanos, HIGHEST_NANOS)));
        count(kind);
    }

    /** An operation that failed: counted by kind and error, and in the throughput, not in the latencies. */
    void failed(String kind, String error) {
        errors.computeIfAbsent(kind + ": " + error, k -> new LongAdder()).increment();
        failures.increment();
        count(kind);
    }

    private void count(String kind) {
        int second = (int) Math.min(seconds - 1, Math.max(0, (System.nanoTime() - startNanos) / 1_000_000_000L));
        perSecond.computeIfAbsent(kind, k -> new AtomicLongArray(seconds)).incrementAndGet(second);
        operations.increment();
    }

    long operations() {
        return operations.sum();
    }

    long failures() {
        return failures.sum();
    }

    /**
     * The summary of the schema in docs/sim.md: per kind count, errors, ops/s over {@code elapsedSeconds}
     * and latency percentiles in microseconds; the errors; operations per second over time.
     */
    Map<String, Object> summary(double elapsedSeconds) {
        Map<String, Object> kinds = new TreeMap<>();
        for (var e : latencies.entrySet()) {
            Histogram h = e.getValue().copy();
            Map<String, Object> s = new LinkedHashMap<>();
            long errorCount = errorsOf(e.getKey());
            s.put("count", h.getTotalCount());
            s.put("errors", errorCount);
            s.put("ops_per_s", round((h.getTotalCount() + errorCount) / Math.max(0.001, elapsedSeconds)));
            s.put("mean_us", round(h.getMean() / 1000));
            s.put("p50_us", micros(h, 50));
            s.put("p90_us", micros(h, 90));
            s.put("p99_us", micros(h, 99));
            s.put("p999_us", micros(h, 99.9));
            s.put("max_us", round(h.getMaxValue() / 1000.0));
            kinds.put(e.getKey(), s);
        }
        for (String kind : perSecond.keySet()) { // kinds that only failed
            if (!kinds.containsKey(kind)) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("count", 0);
                s.put("errors", errorsOf(kind));
                s.put("ops_per_s", 0.0);
                kinds.put(kind, s);
            }
        }
        Map<String, Object> errorKinds = new TreeMap<>();
        errors.forEach((k, v) -> errorKinds.put(k, v.sum()));
        int used = (int) Math.min(seconds, Math.ceil(elapsedSeconds));
        Map<String, Object> timeline = new TreeMap<>();
        perSecond.forEach((kind, counts) -> {
            long[] each = new long[used];
            for (int i = 0; i < used; i++) {
                each[i] = counts.get(i);
            }
            timeline.put(kind, each);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("operations", kinds);
        out.put("errors", errorKinds);
        out.put("ops_per_second", timeline);
        return out;
    }

    private long errorsOf(String kind) {
        long n = 0;
        for (var e : errors.entrySet()) {
            if (e.getKey().startsWith(kind + ": ")) {
                n += e.getValue().sum();
            }
        }
        return n;
    }

    private static double micros(Histogram h, double percentile) {
        return round(h.getValueAtPercentile(percentile) / 1000.0);
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
