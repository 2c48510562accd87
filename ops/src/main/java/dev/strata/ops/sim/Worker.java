package dev.strata.ops.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One running strata-sim-worker and the process that started it (strata run, branch exec, or nothing
 * for the native baseline): operations go down its stdin one per line, results come back one per line.
 */
final class Worker implements AutoCloseable {
    /** What one operation did: {@code error} null when it succeeded. */
    record Result(String error, long nanos, long count) {
    }

    /** The worker is gone (its tree ended, or its runtime never started): what it said or how it ended. */
    static final class Gone extends Exception {
        Gone(String kind) {
            super(kind, null, false, false);
        }
    }

    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;

    private Worker(Process process) {
        this.process = process;
        this.in = process.getOutputStream();
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Starts {@code command} and waits until the worker in it is ready (its runtime then exists). */
    static Worker start(List<String> command, Map<String, String> env, Path log) throws Gone {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new Gone("cannot start " + command.get(0));
        }
        Worker worker = new Worker(process);
        try {
            String ready = worker.out.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                throw new Gone(worker.ended());
            }
        } catch (IOException e) {
            throw new Gone(worker.ended());
        }
        return worker;
    }

    /** Does one operation ({@code stat src/d1/f2}, ...). */
    Result perform(String operation) throws Gone {
        try {
            in.write((operation + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            String line = out.readLine();
            if (line == null) {
                throw new Gone(ended());
            }
            String[] words = line.split(" ");
            if (words[0].equals("ok")) {
                return new Result(null, Long.parseLong(words[1]), Long.parseLong(words[2]));
            }
            return new Result(words[1], Long.parseLong(words[2]), 0);
        } catch (IOException | RuntimeException e) {
            throw new Gone(ended());
        }
    }

    /** Ends the worker and waits for its tree (and its runtime, for strata run) to end: its exit code. */
    int end() throws Gone {
        try {
            in.write("quit\n".getBytes(StandardCharsets.US_ASCII));
            in.close();
        } catch (IOException e) {
            // gone already: its exit says how
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
                throw new Gone("did not end within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new Gone("interrupted");
        }
        return process.exitValue();
    }

    private String ended() {
        try {
            if (process.waitFor(10, TimeUnit.SECONDS)) {
                return "worker exited " + process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
        return "worker stopped answering";
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Kills the whole tree, the worker's children first. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
        try {
            out.close();
        } catch (IOException e) {
            // its pipe is all that was left
        }
    }
}
