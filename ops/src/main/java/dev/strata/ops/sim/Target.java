package dev.strata.ops.sim;

import dev.strata.ops.control.ControlClient;
import dev.strata.protocol.*;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the simulated agents run against: Strata (each tree a runtime of the daemon, started by its
 * native front end as a user would; control calls on its socket), or the native baseline (the same
 * file operations on a rendered copy of the view in a plain directory on the same disk, trees started
 * as plain processes, no control plane).
 */
abstract class Target implements AutoCloseable {
    final Path root;
    final Path worker;
    final Path log;
    /** Everything this run created, so that nothing outlives it. */
    final Set<Worker> workers = ConcurrentHashMap.newKeySet();

    Target(Path root, Path worker, Path log) {
        this.root = root;
        this.worker = worker;
        this.log = log;
    }

    abstract String name();

    /** A new process tree over the view, editable or not, named {@code name} where that means something. */
    abstract Worker startTree(String name, boolean editable) throws Worker.Gone;

    /** One short tree that runs the layer's compiler on one file and ends: its exit code, or -1 when it could not start. */
    abstract int runOnce(String name, String source) throws IOException, InterruptedException;

    Worker track(Worker w) {
        workers.add(w);
        return w;
    }

    void ended(Worker w) {
        workers.remove(w);
        w.close();
    }

    /** Kills every tree still running, and waits a little for them to go. */
    void killAll() {
        for (Worker w : List.copyOf(workers)) {
            w.kill();
        }
        for (Worker w : List.copyOf(workers)) {
            for (int i = 0; i < 50 && w.alive(); i++) {
                sleep(100);
            }
            ended(w);
        }
    }

    @Override
    public void close() {
        killAll();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Strata: trees are runtimes on the daemon's mount; control calls go to its socket. */
    static final class Strata extends Target {
        private final Path frontEnd;
        private final String spec;
        private final Map<String, String> env;
        private final ControlClient control;
        final Set<String> branches = ConcurrentHashMap.newKeySet();
        final Set<String> snapshots = ConcurrentHashMap.newKeySet();
        /** The snapshot every agent's branch starts from, when the mix has agents. */
        volatile String seedSnapshot;

        Strata(Path mountpoint, Path frontEnd, Path worker, String spec, Map<String, String> env, Path socket, Path log) {
            super(mountpoint, worker, log);
            this.frontEnd = frontEnd;
            this.spec = spec;
            this.env = env;
            this.control = ControlClient.connect(socket);
        }

        @Override
        String name() {
            return "strata";
        }

        @Override
        Worker startTree(String name, boolean editable) throws Worker.Gone {
            List<String> command = new ArrayList<>(List.of(frontEnd.toString(), "run"));
            if (editable) {
                command.add("--edit");
            }
            command.addAll(List.of("--name", name, spec, "--", worker.toString(), root.toString()));
            return track(Worker.start(command, env, log));
        }

        /** A second (or first) tree bound to {@code branch}. */
        Worker joinBranch(String branch) throws Worker.Gone {
            return track(Worker.start(List.of(frontEnd.toString(), "branch", "exec", branch, "--", worker.toString(), root.toString()), env, log));
        }

        @Override
        int runOnce(String name, String source) throws IOException, InterruptedException {
            ProcessBuilder builder = new ProcessBuilder(frontEnd.toString(), "run", "--name", name, spec, "--",
                    root.resolve("bin/cc").toString(), "--cc", root.resolve(source).toString(), "/dev/null")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            return waitFor(builder.start());
        }

        /** Calls the daemon and waits for the answer (at most a minute). */
        <T> T call(Function<StrataControl, CompletionStage<T>> rpc) throws Exception {
            return rpc.apply(control).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }

        /**
         * Removes what the run made and did not remove itself: branches (their trees are gone by now),
         * then snapshots. What cannot be removed is returned, for the report.
         */
        List<String> removeLeftovers() {
            List<String> left = new ArrayList<>();
            for (String b : List.copyOf(branches)) {
                try {
                    call(c -> c.deleteBranch(DeleteBranchRequest.newBuilder().setBranch(b).build()));
                    branches.remove(b);
                } catch (Exception e) {
                    left.add("branch " + b + ": " + SimFailure.describe(e));
                }
            }
            for (String s : List.copyOf(snapshots)) {
                try {
                    call(c -> c.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setName(s).build()));
                    snapshots.remove(s);
                } catch (Exception e) {
                    left.add("snapshot " + s + ": " + SimFailure.describe(e));
                }
            }
            return left;
        }

        /** Runtimes of this run the daemon still lists. */
        List<String> runtimesLeft(String prefix) {
            try {
                return call(c -> c.list(ListRequest.newBuilder().setIncludeStopped(true).build())).getRuntimesList().stream().map(RuntimeInfo::getName)
                        .filter(n -> n.startsWith(prefix)).toList();
            } catch (Exception e) {
                return List.of("(the daemon did not answer: " + SimFailure.describe(e) + ")");
            }
        }

        @Override
        public void close() {
            super.close();
            control.close();
        }
    }

    /** The baseline: a plain directory with the view's files, trees are plain processes. */
    static final class Native extends Target {
        Native(Path rendered, Path worker, Path log) {
            super(rendered, worker, log);
        }

        @Override
        String name() {
            return "native";
        }

        @Override
        Worker startTree(String name, boolean editable) throws Worker.Gone {
            return track(Worker.start(List.of(worker.toString(), root.toString()), Map.of(), log));
        }

        @Override
        int runOnce(String name, String source) throws IOException, InterruptedException {
            return waitFor(new ProcessBuilder(root.resolve("bin/cc").toString(), "--cc", root.resolve(source).toString(), "/dev/null")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
        }
    }

    private static int waitFor(Process p) throws InterruptedException {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
