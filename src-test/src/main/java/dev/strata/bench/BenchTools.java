package dev.strata.bench;

import dev.strata.ops.StrataHome;
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

/** What the mount benchmarks share: the C probe, fusexmp_fh as the libfuse baseline, processes and reports. */
final class BenchTools {
    private BenchTools() {
    }

    /** Prints the best of the baseline's and Strata's rounds and their ratio. */
    static void compare(String baselineName, double[] baseline, double[] strata, String unit, double target) {
        double bestBaseline = Arrays.stream(baseline).max().orElse(0);
        double bestStrata = Arrays.stream(strata).max().orElse(0);
        System.out.printf("  %s %8.0f %s   %s%n", baselineName, bestBaseline, unit, Arrays.toString(baseline));
        System.out.printf("  through Strata:         %8.0f %s   %s   ratio %.2f (target >= %.1f)%n", bestStrata, unit,
                Arrays.toString(strata), bestStrata / bestBaseline, target);
    }

    static Process startFusexmp(Path binary, Path mountpoint, String options, Path log) throws Exception {
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

    /** Runs the probe in a new runtime: {@code runArgs} are strata run's (options and spec). */
    static String inRuntime(StrataHome home, List<String> runArgs, Path probe, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main", "run"));
        cmd.addAll(runArgs);
        cmd.add("--");
        cmd.add(probe.toString());
        cmd.addAll(List.of(args));
        return exec(cmd, Map.of(StrataHome.VARIABLE, home.root().toString()));
    }

    /** Starts a command in a new runtime and leaves it running; {@code runArgs} are strata run's options and spec. */
    static Process startInRuntime(StrataHome home, List<String> runArgs, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main", "run"));
        cmd.addAll(runArgs);
        cmd.add("--");
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put(StrataHome.VARIABLE, home.root().toString());
        return pb.start();
    }

    static void awaitFile(Path file, Process owner) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(file)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the runtime did not get ready (" + file + ")");
            }
            Thread.sleep(50);
        }
    }

    static String run(String... cmd) throws Exception {
        return exec(List.of(cmd), Map.of());
    }

    static String exec(List<String> cmd, Map<String, String> env) throws Exception {
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

    static Path compile(Path work, String resource, String name, List<String> flags) throws Exception {
        Path source = work.resolve(resource);
        try (InputStream in = BenchTools.class.getResourceAsStream("/bench/" + resource)) {
            Files.copy(in, source);
        }
        Path binary = work.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
        cmd.addAll(flags);
        exec(cmd, Map.of());
        return binary;
    }

    static Path compileFusexmp(Path work) throws Exception {
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

    static void writeBigFile(Path file, long bytes) throws IOException {
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

    static void awaitMount(Path mountpoint) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(Path.of("/proc/mounts")).contains(" " + mountpoint + " ")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fusexmp_fh did not mount");
            }
            Thread.sleep(50);
        }
    }

    static void unmount(Path mountpoint, Process server) throws Exception {
        new ProcessBuilder("fusermount", "-u", mountpoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            new ProcessBuilder("umount", "-l", mountpoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
