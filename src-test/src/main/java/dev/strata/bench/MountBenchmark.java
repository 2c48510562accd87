package dev.strata.bench;

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
            Path probe = compile(work, "probe.c", "probe", List.of());
            Path xmp = compileFusexmp(work);
            StrataHome home = new StrataHome(work.resolve("home"));
            Repository repo = home.repository();
            Path src = Files.createDirectories(work.resolve("layer/data"));
            writeBigFile(src.resolve("big.bin"), (long) gib << 30);
            Files.writeString(src.resolve("small.txt"), "a small file for the stat loop\n");
            System.out.printf("mount benchmark: importing a %d GiB file...%n", gib);
            Importer.Result layer = new Importer(repo).importDirectory(work.resolve("layer"), "bench", Map.of(), new Importer.Listener() { });
            Manifest m = repo.manifest(layer.manifest());
            Path blob = repo.blobs().path(m.blob(m.find("data/big.bin")));
            Path rendered = work.resolve("rendered");
            new Renderer(repo).render(m, rendered, Renderer.Mode.COPY);
            Renderer.deleteTree(work.resolve("layer"));

            Path mnt = work.resolve("mnt");
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, 2));
            double[] direct = new double[ROUNDS];
            double[] strata = new double[ROUNDS];
            double[] statStrata = new double[ROUNDS];
            double[] statXmp = new double[ROUNDS];
            double statXmpCached;
            String seconds = Double.toString(statSeconds);
            // subdir serves the rendered tree at the mount's root, so both sides stat data/small.txt under a mount
            String subdir = "modules=subdir,subdir=" + rendered;
            Files.createDirectories(xmpMount);
            try {
                Process fusexmp = startFusexmp(xmp, xmpMount, subdir + ",entry_timeout=0,attr_timeout=0,ac_attr_timeout=0", work.resolve("fusexmp.log"));
                try {
                    run(probe.toString(), "read", blob.toString()); // warm the page cache for both: they share it
                    // rounds alternate between the two sides, so the machine's noise falls on both alike
                    for (int i = 0; i < ROUNDS; i++) {
                        direct[i] = Double.parseDouble(run(probe.toString(), "read", blob.toString()));
                        strata[i] = Double.parseDouble(inRuntime(home, probe, "read", mnt + "/data/big.bin"));
                        statXmp[i] = Double.parseDouble(run(probe.toString(), "stat", xmpMount + "/data/small.txt", seconds));
                        statStrata[i] = Double.parseDouble(inRuntime(home, probe, "stat", mnt + "/data/small.txt", seconds));
                    }
                } finally {
                    unmount(xmpMount, fusexmp);
                }
            } finally {
                daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            Process cached = startFusexmp(xmp, xmpMount, subdir, work.resolve("fusexmp-cached.log"));
            try {
                statXmpCached = Double.parseDouble(run(probe.toString(), "stat", xmpMount + "/data/small.txt", seconds));
            } finally {
                unmount(xmpMount, cached);
            }

            System.out.printf("sequential read of %d GiB, warm page cache (best of %d):%n", gib, ROUNDS);
            compare("blob read directly:    ", direct, strata, "MiB/s", 0.9);
            System.out.printf("stat() loop on one layer file, %.0f s a round (best of %d, rounds alternate):%n", statSeconds, ROUNDS);
            compare("fusexmp_fh, timeouts 0:", statXmp, statStrata, "/s   ", 1.0);
            System.out.printf("  (fusexmp_fh with libfuse's default 1 s caches: %.0f /s; Strata caches only directory dentries, as views share them)%n",
                    statXmpCached);
        } finally {
            if (Files.exists(xmpMount)) {
                new ProcessBuilder("umount", "-l", xmpMount.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }

    /** Prints the best of the baseline's and Strata's rounds and their ratio. */
    private static void compare(String baselineName, double[] baseline, double[] strata, String unit, double target) {
        double bestBaseline = Arrays.stream(baseline).max().orElse(0);
        double bestStrata = Arrays.stream(strata).max().orElse(0);
        System.out.printf("  %s %8.0f %s   %s%n", baselineName, bestBaseline, unit, Arrays.toString(baseline));
        System.out.printf("  through Strata:         %8.0f %s   %s   ratio %.2f (target >= %.1f)%n", bestStrata, unit,
                Arrays.toString(strata), bestStrata / bestBaseline, target);
    }

    private static Process startFusexmp(Path binary, Path mountpoint, String options, Path log) throws Exception {
        Process p = new ProcessBuilder(binary.toString(), mountpoint.toString(), "-f", "-o", options)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitMount(mountpoint);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
        return p;
    }

    private static String inRuntime(StrataHome home, Path probe, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main", "run", "bench", "--", probe.toString()));
        cmd.addAll(List.of(args));
        return exec(cmd, Map.of(StrataHome.VARIABLE, home.root().toString()));
    }

    private static String run(String... cmd) throws Exception {
        return exec(List.of(cmd), Map.of());
    }

    private static String exec(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        String[] lines = out.split("\n");
        return lines[lines.length - 1].trim();
    }

    private static Path compile(Path work, String resource, String name, List<String> flags) throws Exception {
        Path source = work.resolve(resource);
        try (InputStream in = MountBenchmark.class.getResourceAsStream("/bench/" + resource)) {
            Files.copy(in, source);
        }
        Path binary = work.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
        cmd.addAll(flags);
        exec(cmd, Map.of());
        return binary;
    }

    private static Path compileFusexmp(Path work) throws Exception {
        Path example = Path.of("/usr/share/doc/libfuse-dev/examples/fusexmp_fh.c");
        if (!Files.exists(example)) {
            exec(List.of("apt-get", "install", "-y", "-qq", "libfuse-dev", "pkg-config"), Map.of("DEBIAN_FRONTEND", "noninteractive"));
        }
        Path binary = work.resolve("fusexmp_fh");
        String flags = exec(List.of("pkg-config", "--cflags", "--libs", "fuse"), Map.of());
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-w", "-o", binary.toString(), example.toString()));
        cmd.addAll(List.of(flags.split("\\s+")));
        cmd.add("-lulockmgr"); // the example's POSIX locks
        exec(cmd, Map.of());
        return binary;
    }

    private static void writeBigFile(Path file, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        new Random(11).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += block.length) {
                block[0] = (byte) (written >>> 20);
                block[1] = (byte) (written >>> 28);
                out.write(block);
            }
        }
    }

    private static void awaitMount(Path mountpoint) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(Path.of("/proc/mounts")).contains(" " + mountpoint + " ")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fusexmp_fh did not mount");
            }
            Thread.sleep(50);
        }
    }

    private static void unmount(Path mountpoint, Process server) throws Exception {
        new ProcessBuilder("fusermount", "-u", mountpoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            new ProcessBuilder("umount", "-l", mountpoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
