package dev.strata.ops.sim;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of a scenario's agents against one target: agents arrive as the scenario says, each on its
 * own thread driving its own process trees, until the duration is over or someone stops the run;
 * then every agent ends what it started, and what an agent could not end is ended for it.
 */
final class Simulation {
    /** How long agents get to end their trees and remove what they made once the run is over. */
    private static final Duration GRACE = Duration.ofSeconds(90);

    private final Scenario scenario;
    private final Target target;
    private final String runId;
    private final AtomicBoolean stop;
    private final PrintStream progress;
    /** Where a progress bar draws, for a person; null in a pipe, which gets a line every 5 s. */
    private final me.tongfei.progressbar.ProgressBarConsumer bar;
    final List<String> incidents = new ArrayList<>();
    private final AtomicInteger alive = new AtomicInteger();
    private final AtomicInteger arrived = new AtomicInteger();
    private int peak;

    Simulation(Scenario scenario, Target target, String runId, AtomicBoolean stop, PrintStream progress,
               me.tongfei.progressbar.ProgressBarConsumer bar) {
        this.scenario = scenario;
        this.target = target;
        this.runId = runId;
        this.stop = stop;
        this.progress = progress;
        this.bar = bar;
    }

    /** A file of the generated source tree. */
    static String sourceFile(int dir, int file) {
        return "src/d" + dir + "/f" + file + ".c";
    }

    /**
     * Writes the layer the agents work on: {@code dirs} x {@code files} source files of the scenario's
     * size (the same bytes for the same scenario), the compiler-like binary bin/cc, and notes/.
     */
    static void generateTree(Scenario.Tree tree, Path dir, Path workerBinary) throws java.io.IOException {
        byte[] line = "int value(void) { return 42; } /* a line of a generated source file */\n".getBytes(StandardCharsets.US_ASCII);
        byte[] content = new byte[tree.fileBytes()];
        for (int i = 0; i < content.length; i++) {
            content[i] = line[i % line.length];
        }
        for (int d = 0; d < tree.dirs(); d++) {
            Files.createDirectories(dir.resolve("src/d" + d));
            for (int f = 0; f < tree.filesPerDir(); f++) {
                Files.write(dir.resolve(sourceFile(d, f)), content);
            }
        }
        Files.createDirectories(dir.resolve("bin"));
        Files.copy(workerBinary, dir.resolve("bin/cc"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(dir.resolve("bin/cc"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("notes"));
        Files.createDirectories(dir.resolve("out"));
        // writable by everyone, as a shared checkout's build directories are: agents may run as any user
        for (String shared : List.of("notes", "out")) {
            Files.setPosixFilePermissions(dir.resolve(shared), PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        for (int d = 0; d < tree.dirs(); d++) {
            Files.setPosixFilePermissions(dir.resolve("src/d" + d), PosixFilePermissions.fromString("rwxrwxrwx"));
            for (int f = 0; f < tree.filesPerDir(); f++) {
                Files.setPosixFilePermissions(dir.resolve(sourceFile(d, f)), PosixFilePermissions.fromString("rw-rw-rw-"));
            }
        }
    }

    /** Runs the agents; returns the summary of {@code docs/sim.md} for this target. */
    Map<String, Object> run() {
        long start = System.nanoTime();
        long deadline = start + scenario.duration().toNanos();
        Measurements measured = new Measurements(start, (int) (scenario.duration().toSeconds() + GRACE.toSeconds() + 30));
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < scenario.agents(); i++) {
            int index = i;
            long arrives = start + scenario.arrival().offset(i, scenario.agents()).toNanos();
            Agent agent = new Agent(index, runId, scenario, target, measured, () -> !stop.get() && System.nanoTime() - deadline < 0);
            Thread t = new Thread(null, () -> live(agent, arrives, deadline), "sim-agent-" + index, 512 * 1024);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        Progress line = new Progress(measured, start);
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long now = System.nanoTime();
            if (now - deadline - GRACE.toNanos() > 0) {
                incidents.add(target.name() + ": " + threads.stream().filter(Thread::isAlive).count()
                        + " agents had not ended " + GRACE.toSeconds() + " s after the run; their trees were killed");
                target.killAll();
                break;
            }
            line.show(now);
            join(threads, 1000);
        }
        join(threads, 10_000);
        line.done();
        double elapsed = (System.nanoTime() - start) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", target.name());
        out.put("elapsed_s", Measurements.round(elapsed));
        out.put("agents_arrived", arrived.get());
        out.put("agents_peak", peak);
        out.putAll(measured.summary(elapsed));
        return out;
    }

    /** One agent's life: it arrives, follows its personality until the run ends, and leaves. */
    private void live(Agent agent, long arrives, long deadline) {
        while (!stop.get() && System.nanoTime() - arrives < 0) {
            Target.sleep(Math.min(100, Math.max(1, (arrives - System.nanoTime()) / 1_000_000)));
        }
        if (stop.get() || System.nanoTime() - deadline >= 0) {
            return;
        }
        arrived.incrementAndGet();
        synchronized (this) {
            peak = Math.max(peak, alive.incrementAndGet());
        }
        try {
            while (agent.running()) {
                try {
                    agent.mix.personality().run(agent);
                } catch (Worker.Gone gone) {
                    // counted where it happened; the agent goes on with a new tree
                } catch (RuntimeException e) {
                    // a bug, not a failed operation: this agent stops (the same bug would repeat) and the report says so
                    agent.measured.failed("agent", SimFailure.kind(e));
                    synchronized (incidents) {
                        String incident = "an agent stopped: " + SimFailure.describe(e);
                        if (!incidents.contains(incident)) {
                            incidents.add(incident);
                        }
                    }
                    return;
                }
            }
        } finally {
            alive.decrementAndGet();
        }
    }

    private static void join(List<Thread> threads, long millis) {
        long until = System.currentTimeMillis() + millis;
        for (Thread t : threads) {
            long left = until - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The line that says how the run goes: elapsed, agents alive, operations per second, errors. */
    private final class Progress {
        private final Measurements measured;
        private final long start;
        private final me.tongfei.progressbar.ProgressBar drawn;
        private long lastShown;
        private long lastOps;
        private long lastNanos;

        Progress(Measurements measured, long start) {
            this.measured = measured;
            this.start = start;
            this.lastNanos = start;
            this.drawn = bar == null ? null : new me.tongfei.progressbar.ProgressBarBuilder().setTaskName("sim " + target.name())
                    .setInitialMax(scenario.duration().toSeconds()).setUnit(" s", 1).setConsumer(bar).continuousUpdate().build();
        }

        void show(long now) {
            if (now - lastShown < (drawn != null ? 1_000_000_000L : 5_000_000_000L)) {
                return;
            }
            lastShown = now;
            long ops = measured.operations();
            double rate = (ops - lastOps) / Math.max(0.001, (now - lastNanos) / 1e9);
            lastOps = ops;
            lastNanos = now;
            long elapsed = (now - start) / 1_000_000_000L;
            String figures = String.format("agents %d, %,d ops, %,.0f ops/s, %d errors", alive.get(), ops, rate, measured.failures());
            if (drawn != null) {
                drawn.stepTo(Math.min(elapsed, scenario.duration().toSeconds()));
                drawn.setExtraMessage(figures);
            } else {
                progress.printf("sim %s [%s] %d/%d s: %s%n", scenario.name(), target.name(), elapsed, scenario.duration().toSeconds(), figures);
                progress.flush();
            }
        }

        void done() {
            if (drawn != null) {
                drawn.close();
            }
        }
    }
}
