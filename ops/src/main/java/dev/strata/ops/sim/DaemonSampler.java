package dev.strata.ops.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The daemon's resources over a run, read from /proc once a second: CPU (percent of one core), RSS,
 * threads and open file descriptors (those need the daemon's user or root to read).
 */
final class DaemonSampler implements AutoCloseable {
    private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private final Path proc;
    private final long startNanos;
    private final List<Map<String, Object>> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;
    private String problem;

    private final Runnable onDeath;

    /** {@code onDeath}: what to do when the daemon's process is gone (the run cannot go on). */
    DaemonSampler(long pid, long startNanos, Runnable onDeath) {
        this.proc = Path.of("/proc", Long.toString(pid));
        this.startNanos = startNanos;
        this.onDeath = onDeath;
        this.thread = new Thread(this::sampleEverySecond, "strata-sim-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void sampleEverySecond() {
        long lastTicks = -1;
        long lastNanos = 0;
        while (!stopping) {
            long now = System.nanoTime();
            if (!Files.exists(proc)) {
                problem = "the daemon (" + proc + ") ended " + Measurements.round((now - startNanos) / 1e9) + " s into the run";
                onDeath.run();
                return;
            }
            try {
                String stat = Files.readString(proc.resolve("stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                Map<String, Object> sample = new LinkedHashMap<>();
                sample.put("t_s", Measurements.round((now - startNanos) / 1e9));
                sample.put("cpu_pct", lastTicks < 0 ? 0.0
                        : Measurements.round((ticks - lastTicks) / TICKS_PER_SECOND / ((now - lastNanos) / 1e9) * 100));
                Map<String, Long> status = status();
                sample.put("rss_mib", Measurements.round(status.getOrDefault("VmRSS", 0L) / 1024.0));
                sample.put("threads", status.getOrDefault("Threads", 0L));
                sample.put("fds", fds());
                synchronized (samples) {
                    samples.add(sample);
                }
                lastTicks = ticks;
                lastNanos = now;
            } catch (IOException | RuntimeException e) {
                problem = "cannot read " + proc + ": " + e.getMessage();
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Map<String, Long> status() throws IOException {
        Map<String, Long> out = new TreeMap<>();
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            String[] kv = line.split(":\\s+", 2);
            if (kv.length == 2 && (kv[0].equals("VmRSS") || kv[0].equals("Threads"))) {
                out.put(kv[0], Long.parseLong(kv[1].replace(" kB", "").trim()));
            }
        }
        return out;
    }

    /** Open descriptors, or -1 when this user may not look. */
    private long fds() {
        try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    List<Map<String, Object>> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Why sampling stopped early (the daemon went away), or null. */
    String problem() {
        return problem;
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The counters of a Prometheus text scrape (name with labels, value), for the difference between
     * two scrapes: {@code _total}, {@code _count} and {@code _sum} series only.
     */
    static Map<String, Double> counters(String scrape) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
            if (name.startsWith("strata_") && (name.endsWith("_total") || name.endsWith("_count") || name.endsWith("_sum"))) {
                try {
                    out.put(series, Double.parseDouble(line.substring(space + 1)));
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        }
        return out;
    }

    /** What grew between two scrapes. */
    static Map<String, Double> grown(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> out = new TreeMap<>();
        after.forEach((series, value) -> {
            double d = value - before.getOrDefault(series, 0.0);
            if (d > 0) {
                out.put(series, d);
            }
        });
        return out;
    }
}
