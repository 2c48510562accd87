package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Reads and stats through a real Strata mount against baselines measured in the same run:
 * sequential read of a 1 GiB layer file vs reading its blob directly, and a stat() loop on a layer
 * file vs the libfuse C passthrough example (fusexmp_fh) serving the same tree. The same C probe
 * measures both sides. Needs root, /dev/fuse, gcc and libfuse-dev (installed when missing).
 */
public final class MountBenchmark {
    private static final int ROUNDS = 3;

    private MountBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int gib = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        double statSeconds = 3;
        Path work = Files.createTempDirectory("strata-bench-");
        Path xmpMount = work.resolve("xmp");
        try {
            Path probe = BenchTools.compile(work, "probe.c", "probe", List.of());
            Path xmp = BenchTools.compileFusexmp(work);
            StrataHome home = new StrataHome(work.resolve("home"));
            Repository repo = home.repository();
            Path src = Files.createDirectories(work.resolve("layer/data"));
            BenchTools.writeBigFile(src.resolve("big.bin"), (long) gib << 30);
            Files.writeString(src.resolve("small.txt"), "a small file for the stat loop\n");
            System.out.printf("mount benchmark: importing a %d GiB file...%n", gib);
            Importer.Result layer = new Importer(repo).importDirectory(work.resolve("layer"), "bench", Map.of(), new Importer.Listener() { });
            Manifest m = repo.manifest(layer.manifest());
            Path blob = repo.blobs().path(m.blob(m.find("data/big.bin")));
            Path rendered = work.resolve("rendered");
            new Renderer(repo).render(m, rendered, Renderer.Mode.COPY);
            Renderer.deleteTree(work.resolve("layer"));

            Path mnt = work.resolve("mnt");
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, home.socketPath()));
            double[] direct = new double[ROUNDS];
            double[] strata = new double[ROUNDS];
            double[] editable = new double[ROUNDS];
            double[] statStrata = new double[ROUNDS];
            double[] statXmp = new double[ROUNDS];
            double statXmpCached;
            String seconds = Double.toString(statSeconds);
            // subdir serves the rendered tree at the mount's root, so both sides stat data/small.txt under a mount
            String subdir = "modules=subdir,subdir=" + rendered;
            Files.createDirectories(xmpMount);
            try {
                Process fusexmp = BenchTools.startFusexmp(xmp, xmpMount, subdir + ",entry_timeout=0,attr_timeout=0,ac_attr_timeout=0", work.resolve("fusexmp.log"));
                try {
                    BenchTools.run(probe.toString(), "read", blob.toString()); // warm the page cache for both: they share it
                    // rounds alternate between the two sides, so the machine's noise falls on both alike
                    for (int i = 0; i < ROUNDS; i++) {
                        direct[i] = Double.parseDouble(BenchTools.run(probe.toString(), "read", blob.toString()));
                        strata[i] = Double.parseDouble(BenchTools.inRuntime(home, List.of("bench"), probe, "read", mnt + "/data/big.bin"));
                        editable[i] = Double.parseDouble(BenchTools.inRuntime(home, List.of("--edit", "bench"), probe, "read",
                                mnt + "/data/big.bin"));
                        statXmp[i] = Double.parseDouble(BenchTools.run(probe.toString(), "stat", xmpMount + "/data/small.txt", seconds));
                        statStrata[i] = Double.parseDouble(BenchTools.inRuntime(home, List.of("bench"), probe, "stat", mnt + "/data/small.txt", seconds));
                    }
                } finally {
                    BenchTools.unmount(xmpMount, fusexmp);
                }
            } finally {
                daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            Process cached = BenchTools.startFusexmp(xmp, xmpMount, subdir, work.resolve("fusexmp-cached.log"));
            try {
                statXmpCached = Double.parseDouble(BenchTools.run(probe.toString(), "stat", xmpMount + "/data/small.txt", seconds));
            } finally {
                BenchTools.unmount(xmpMount, cached);
            }

            System.out.printf("sequential read of %d GiB, warm page cache (best of %d):%n", gib, ROUNDS);
            BenchTools.compare("blob read directly:    ", direct, strata, "MiB/s", 0.9);
            // a lower file of an editable runtime goes through the page cache, not passthrough, so that a copy-up
            // cannot leave a reader behind: each new runtime's first read of it goes through the daemon
            double bestEditable = java.util.Arrays.stream(editable).max().orElse(0);
            System.out.printf("  in an editable runtime:  %8.0f MiB/s   %s   ratio %.2f (a lower file, first read in a new runtime)%n",
                    bestEditable, java.util.Arrays.toString(editable), bestEditable / java.util.Arrays.stream(direct).max().orElse(1));
            System.out.printf("stat() loop on one layer file, %.0f s a round (best of %d, rounds alternate):%n", statSeconds, ROUNDS);
            BenchTools.compare("fusexmp_fh, timeouts 0:", statXmp, statStrata, "/s   ", 1.0);
            System.out.printf("  (fusexmp_fh with libfuse's default 1 s caches: %.0f /s; Strata's are kept while every runtime agrees on them)%n",
                    statXmpCached);
        } finally {
            if (Files.exists(xmpMount)) {
                new ProcessBuilder("umount", "-l", xmpMount.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }
}
