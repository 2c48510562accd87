package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.ops.daemon.DaemonAddress;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.SnapshotInfo;
import dev.strata.protocol.StrataControlClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * Snapshot creation time for a runtime that changed 10 files, over bases of 1,000 and 100,000
 * files: the two should be about equal, since a snapshot stores what the scratch changed and
 * refers to the base's layers. Measured through the real daemon and its gRPC control plane.
 */
public final class SnapshotBenchmark {
    private static final int ROUNDS = 7;
    private static final int CHANGED = 10;

    private SnapshotBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] bases = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray() : new int[] {1_000, 100_000};
        Path work = Files.createTempDirectory("strata-bench-");
        List<Process> runtimes = new ArrayList<>();
        try {
            StrataHome home = new StrataHome(work.resolve("home"));
            for (int files : bases) {
                Path src = work.resolve("base-" + files);
                for (int i = 0; i < files; i++) {
                    Path f = src.resolve("d" + (i / 1000)).resolve("f" + i);
                    Files.createDirectories(f.getParent());
                    Files.writeString(f, "file " + i + "\n");
                }
                System.out.printf("snapshot benchmark: importing a base of %,d files...%n", files);
                new Importer(home.repository()).importDirectory(src, "base-" + files, Map.of(), new Importer.Listener() { });
                Renderer.deleteTree(src);
            }
            Path mnt = work.resolve("mnt");
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, home.socketPath()));
            try {
                DaemonAddress address = DaemonAddress.find(home).orElseThrow();
                dev.strata.ops.control.ControlClient client = dev.strata.ops.control.ControlClient.connect(address.socket());
                double[][] micros = new double[bases.length][ROUNDS];
                for (int b = 0; b < bases.length; b++) {
                    String runtime = "bench-" + bases[b];
                    Path ready = work.resolve(runtime + ".ready");
                    StringBuilder edit = new StringBuilder("cd " + mnt);
                    for (int i = 0; i < CHANGED; i++) {
                        edit.append(" && echo changed >> d0/f").append(i);
                    }
                    runtimes.add(BenchTools.startInRuntime(home, List.of("--edit", "--name", runtime, "base-" + bases[b]),
                            "sh", "-c", edit + " && touch " + ready + " && exec sleep 3600"));
                    BenchTools.awaitFile(ready, runtimes.get(runtimes.size() - 1));
                }
                // the imports left the disk busy writing back: settle it, so fsyncs cost the same for every round
                BenchTools.run("sync");
                // rounds alternate between the bases, so the machine's noise falls on both alike
                for (int r = 0; r < ROUNDS; r++) {
                    for (int b = 0; b < bases.length; b++) {
                        String runtime = "bench-" + bases[b];
                        SnapshotInfo s = client.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime(runtime)
                                .setName(runtime + "-" + r).build()).toCompletableFuture().get(5, TimeUnit.MINUTES);
                        micros[b][r] = s.getCaptureMicros();
                    }
                }
                client.close();
                System.out.printf("snapshot of a runtime that changed %d files (daemon time, microseconds, best and all of %d):%n", CHANGED, ROUNDS);
                for (int b = 0; b < bases.length; b++) {
                    System.out.printf("  base of %,9d files: %8.0f us   %s%n", bases[b], min(micros[b]), Arrays.toString(micros[b]));
                }
                if (bases.length > 1) {
                    System.out.printf("  ratio largest/smallest base: %.2f (target: about 1)%n", min(micros[bases.length - 1]) / min(micros[0]));
                }
            } finally {
                runtimes.forEach(p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
                daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            Renderer.deleteTree(work);
        }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }
}
