package dev.strata.bench;

import dev.strata.ops.control.ControlClient;
import dev.strata.persistence.Renderer;
import dev.strata.protocol.FleetStatusReply;
import dev.strata.protocol.FleetStatusRequest;
import dev.strata.protocol.StatusRequest;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code fleet status} latency through one daemon's socket for fleets of real daemons on this machine
 * (default 3 and 10), next to a local {@code service status} call in the same run.
 */
public final class FleetBenchmark {
    private static final int CALLS = 100;

    private FleetBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray() : new int[] {3, 10};
        Path top = Path.of(System.getProperty("strata.top", "."));
        String heap = System.getenv().getOrDefault("STRATA_DAEMON_HEAP", "192m");
        System.out.printf("fleet benchmark: daemons with -Xmx%s each; %d calls per figure after 20 warm-up calls%n", heap, CALLS);
        for (int n : sizes) {
            run(top, n, heap);
        }
    }

    private static void run(Path top, int n, String heap) throws Exception {
        Path work = Files.createTempDirectory("strata-bench-fleet-");
        List<Process> daemons = new ArrayList<>();
        List<Path> homes = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                    ports[i] = s.getLocalPort();
                }
            }
            String seeds = "\"127.0.0.1:" + ports[0] + "\", \"127.0.0.1:" + ports[1 % n] + "\"";
            for (int i = 0; i < n; i++) {
                Path home = Files.createDirectories(work.resolve("home-" + i));
                homes.add(home);
                Files.writeString(home.resolve("strata.conf"), "strata.cluster { enabled = true, host = \"127.0.0.1\", port = " + ports[i]
                        + ", seed-nodes = [" + seeds + "], timeout = 10s }\n");
                ProcessBuilder pb = new ProcessBuilder(top.resolve("bin/strata").toString(), "service", "start", "--mountpoint",
                        work.resolve("mnt-" + i).toString()).redirectErrorStream(true).redirectOutput(work.resolve("daemon-" + i + ".log").toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().put("STRATA_HOME", home.toString());
                pb.environment().put("STRATA_DAEMON_HEAP", heap);
                daemons.add(pb.start());
            }
            Path socket = homes.get(0).resolve("daemon/control.sock");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            try (ControlClient client = awaitSocket(socket, deadline)) {
                while (true) {
                    FleetStatusReply r = client.fleetStatus(FleetStatusRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS);
                    if (r.getNodesCount() == n && r.getUnansweredCount() == 0 && r.getNodesList().stream().allMatch(x -> x.getMembership().equals("up"))) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(n + " daemons did not form a fleet in 5 minutes: " + r);
                    }
                    Thread.sleep(500);
                }
                double[] fleet = time(() -> client.fleetStatus(FleetStatusRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS));
                double[] local = time(() -> client.status(StatusRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS));
                System.out.printf("  %2d daemons: fleet status median %6.2f ms, p90 %6.2f, max %6.2f; local service status median %5.2f ms; ratio %.1f%n",
                        n, fleet[CALLS / 2], fleet[CALLS * 9 / 10], fleet[CALLS - 1], local[CALLS / 2], fleet[CALLS / 2] / local[CALLS / 2]);
            }
        } finally {
            for (int i = 0; i < daemons.size(); i++) {
                ProcessBuilder stop = new ProcessBuilder(top.resolve("bin/strata").toString(), "service", "stop").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
                stop.environment().put("STRATA_HOME", homes.get(i).toString());
                stop.environment().put("STRATA_NO_NATIVE", "1");
                stop.start().waitFor(60, TimeUnit.SECONDS);
            }
            for (Process p : daemons) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            for (int i = 0; i < daemons.size(); i++) {
                new ProcessBuilder("umount", "-l", work.resolve("mnt-" + i).toString()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }

    private static ControlClient awaitSocket(Path socket, long deadline) throws Exception {
        while (!Files.exists(socket)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the first daemon did not start");
            }
            Thread.sleep(200);
        }
        return ControlClient.connect(socket);
    }

    private interface Call {
        void run() throws Exception;
    }

    /** Latencies in ms, sorted, after a warm-up. */
    private static double[] time(Call call) throws Exception {
        for (int i = 0; i < 20; i++) {
            call.run();
        }
        double[] ms = new double[CALLS];
        for (int i = 0; i < CALLS; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }
}
