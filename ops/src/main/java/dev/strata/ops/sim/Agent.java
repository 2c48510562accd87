package dev.strata.ops.sim;

import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * One simulated agent: its personality, its own random stream (the same for the same seed), and the
 * means to do and measure an operation. Every tree it starts is its own process tree.
 */
final class Agent {
    /** A prefix for the names of everything this agent makes: runtimes, branches, snapshots. */
    final String name;
    final Scenario.Mix mix;
    final Scenario scenario;
    final Target target;
    final Measurements measured;
    final SplittableRandom random;
    private final BooleanSupplier running;
    private final long thinkNanos;
    private int sequence;

    Agent(int index, String runId, Scenario scenario, Target target, Measurements measured, BooleanSupplier running) {
        this.name = runId + "-a" + index;
        this.mix = scenario.personalityOf(index);
        this.scenario = scenario;
        this.target = target;
        this.measured = measured;
        this.random = new SplittableRandom(scenario.seed() * 7919 + index);
        this.running = running;
        this.thinkNanos = scenario.think().toNanos();
    }

    /** Whether the run goes on: its duration is not over and nobody asked it to stop. */
    boolean running() {
        return running.getAsBoolean();
    }

    /** A new name under this agent's prefix. */
    String next(String what) {
        return name + "-" + what + (sequence++);
    }

    /** A file of the generated source tree, drawn at random. */
    String sourceFile() {
        Scenario.Tree t = scenario.tree();
        return Simulation.sourceFile(random.nextInt(t.dirs()), random.nextInt(t.filesPerDir()));
    }

    /** One file operation in {@code worker}, timed by the worker itself; false when it failed. */
    boolean file(Worker worker, String kind, String operation) throws Worker.Gone {
        Worker.Result r;
        try {
            r = worker.perform(operation);
        } catch (Worker.Gone g) {
            measured.failed(kind, g.getMessage());
            throw g;
        }
        if (r.error() == null) {
            measured.record(kind, r.nanos());
        } else {
            measured.failed(kind, r.error());
        }
        think();
        return r.error() == null;
    }

    /** One call timed here (a control call, a tree's start or end); null when it failed, which is counted. */
    <T> T timed(String kind, Callable<T> call) {
        long started = System.nanoTime();
        try {
            T result = call.call();
            measured.record(kind, System.nanoTime() - started);
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            measured.failed(kind, "interrupted");
            return null;
        } catch (Exception e) {
            measured.failed(kind, SimFailure.kind(e));
            return null;
        } finally {
            think();
        }
    }

    /** A tree's end, timed: its exit code must be 0. */
    void end(Worker w) {
        if (w == null) {
            return;
        }
        timed("runtime.end", () -> {
            try {
                int code = w.end();
                if (code != 0) {
                    throw new Worker.Gone("tree exited " + code);
                }
                return code;
            } finally {
                target.ended(w);
            }
        });
    }

    void think() {
        if (thinkNanos <= 0) {
            return;
        }
        long pause = (long) (thinkNanos * (0.5 + random.nextDouble()));
        try {
            Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
