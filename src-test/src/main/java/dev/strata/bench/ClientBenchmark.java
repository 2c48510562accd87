package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.control.ControlClient;
import dev.strata.ops.control.UnixSocket;
import dev.strata.ops.daemon.Daemon;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.ListRequest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What starting a process tree and calling the daemon cost a user: the median wall time of each
 * command through {@code bin/strata} (and of {@code run} through an installed {@code strata}, as
 * {@code bin/install} lays it out), next to {@code unshare -m true} and one control round trip
 * measured in the same run, and the memory the clients of fifty concurrent trees hold, next to the
 * daemon's. Root: it starts a daemon on a temporary mount point.
 */
public final class ClientBenchmark {
    private ClientBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path top = Path.of(System.getProperty("strata.top", ".")).toAbsolutePath();
        Path strata = top.resolve("bin/strata");
        Path work = Files.createTempDirectory("strata-bench-");
        List<Process> trees = new ArrayList<>();
        try {
            StrataHome home = new StrataHome(work.resolve("home"));
            Path src = Files.createDirectories(work.resolve("src/etc"));
            Files.writeString(src.resolve("motd"), "hello\n");
            new Importer(home.repository()).importDirectory(work.resolve("src"), "base", Map.of(), new Importer.Listener() { });
            Path mnt = work.resolve("mnt");
            Path socket = home.socketPath();
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, socket, dev.strata.ops.cli.StrataCommand::serve));
            try (ControlClient control = ControlClient.connect(socket)) {
                Map<String, String> env = Map.of("STRATA_HOME", home.root().toString());
                run(env, strata.toString(), "run", "--durable", "--name", "bench-src", "base", "--", "true");
                control.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime("bench-src").setName("bench-snap").build())
                        .toCompletableFuture().get(60, TimeUnit.SECONDS);
                control.createBranch(CreateBranchRequest.newBuilder().setSnapshot("bench-snap").setName("bench-branch").build())
                        .toCompletableFuture().get(60, TimeUnit.SECONDS);
                // a daemon serves all day: warm its start path (the JIT still compiles methods of it after a thousand starts)
                for (int i = 0; i < 1500; i++) {
                    run(env, strata.toString(), "run", "base", "--", "true");
                }
                System.out.printf("client benchmark: median wall time of %d rounds (machine: %d cores)%n", rounds,
                        Runtime.getRuntime().availableProcessors());
                double unshare = median(rounds, () -> run(Map.of(), "unshare", "-m", "true"));
                double roundTrip = median(rounds, () -> launchRoundTrip(Daemon.launchSocket(socket)));
                double budget = 2 * unshare + roundTrip;
                row("unshare -m true (baseline)", unshare, Double.NaN);
                row("one control round trip (baseline)", roundTrip, Double.NaN);
                // `strata` as bin/install lays it out: the native front end itself, without the checkout's build-aware script
                run(Map.of(), top.resolve("bin/install").toString(), work.resolve("installed").toString());
                String installed = work.resolve("installed/bin/strata").toString();
                System.out.printf("  %-36s %11s %11s   %s%n", "starting a tree (target <= 50 ms)", "bin/strata", "installed",
                        String.format("installed vs 2 x unshare + round trip = %.1f ms (target <= 1)", budget));
                for (String[] tree : new String[][] {{"run", "base", "--", "true"}, {"run", "--edit", "base", "--", "true"},
                        {"branch", "exec", "bench-branch", "--", "true"}, {"shell", "base"}}) {
                    String input = tree[0].equals("shell") ? "exit\n" : null;
                    double checkout = median(rounds, () -> runWithInput(env, input, concat(strata.toString(), tree)));
                    double direct = median(rounds, () -> runWithInput(env, input, concat(installed, tree)));
                    System.out.printf("  %-36s %8.1f ms %8.1f ms   %.2f%n", "strata " + String.join(" ", tree), checkout, direct, direct / budget);
                }
                int jvmRounds = Math.max(3, rounds / 6);
                row("strata service status (in the daemon)", median(rounds, () -> run(env, strata.toString(), "service", "status")), 100);
                row("strata runtime list (in the daemon)", median(rounds, () -> run(env, strata.toString(), "runtime", "list")), 100);
                int[] snapshots = {0};
                row("strata snapshot create (in the daemon)", median(rounds, () -> run(env, strata.toString(), "snapshot", "create", "bench-src",
                        "--name", "bench-" + snapshots[0]++)), 100);
                // repository commands: the daemon reads its repository for the caller; without a daemon, the full CLI
                row("strata ls base (in the daemon)", median(rounds, () -> run(env, strata.toString(), "ls", "base")), 300);
                row("strata tags (in the daemon)", median(rounds, () -> run(env, strata.toString(), "tags")), 300);
                row("strata info base (in the daemon)", median(rounds, () -> run(env, strata.toString(), "info", "base")), 300);
                row("strata diff base base (in the daemon)", median(rounds, () -> run(env, strata.toString(), "diff", "base", "base")), 300);
                Map<String, String> jvm = new java.util.HashMap<>(env);
                jvm.put("STRATA_NO_NATIVE", "1");
                row("strata ls base (full CLI, JVM)", median(jvmRounds, () -> run(jvm, strata.toString(), "ls", "base")), Double.NaN);
                row("strata tags (full CLI, JVM)", median(jvmRounds, () -> run(jvm, strata.toString(), "tags")), Double.NaN);

                // memory: fifty trees at once, each held by its client
                Path go = work.resolve("go");
                for (int i = 0; i < 50; i++) {
                    ProcessBuilder pb = new ProcessBuilder(strata.toString(), "run", "base", "--", "sh", "-c",
                            "while [ ! -e " + go + " ]; do sleep 0.1; done").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                    pb.environment().putAll(env);
                    trees.add(pb.start());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (control.list(ListRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS).getRuntimesCount() < 50) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the 50 runtimes did not all start");
                    }
                    Thread.sleep(100);
                }
                long clients = trees.stream().mapToLong(p -> rssKb(p.pid())).sum();
                System.out.printf("  50 concurrent trees: clients hold %,d KiB in all, %,d KiB each (target <= 5,120); daemon %,d KiB%n",
                        clients, clients / 50, rssKb(ProcessHandle.current().pid()));
                Files.createFile(go);
                for (Process p : trees) {
                    p.waitFor(60, TimeUnit.SECONDS);
                }
            } finally {
                trees.forEach(Process::destroyForcibly);
                daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            Renderer.deleteTree(work);
        }
    }

    private interface Timed {
        void run() throws Exception;
    }

    /** The median of {@code rounds} timed runs, after a few untimed ones (each command's own daemon path warms). */
    private static double median(int rounds, Timed timed) throws Exception {
        for (int i = 0; i < Math.min(10, rounds); i++) {
            timed.run();
        }
        double[] ms = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            timed.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[rounds / 2];
    }

    private static void row(String what, double ms, double target) {
        System.out.printf("  %-36s %8.1f ms%s%n", what, ms, Double.isNaN(target) ? "" : String.format("   (target <= %.0f ms)", target));
    }

    private static void run(Map<String, String> env, String... cmd) throws Exception {
        runWithInput(env, null, cmd);
    }

    private static void runWithInput(Map<String, String> env, String input, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.environment().put("SHELL", "/bin/sh");
        pb.redirectInput(input == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        if (input != null) {
            try (var stdin = p.getOutputStream()) {
                stdin.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }

    /** One call on the launcher socket that the daemon answers at once (ending a runtime that does not exist). */
    private static void launchRoundTrip(Path launch) throws Exception {
        try (UnixSocket s = UnixSocket.connect(launch)) {
            DataOutputStream out = new DataOutputStream(s.output());
            byte[] body = {0x0a, 1, 'x'};
            out.writeInt(1 + body.length);
            out.writeByte(2);
            out.write(body);
            out.flush();
            DataInputStream in = new DataInputStream(s.input());
            in.readFully(new byte[in.readInt()]);
        }
    }

    private static String[] concat(String command, String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return all;
    }

    private static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return 0;
    }
}
