package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tree walks and metadata operations, where a FUSE file system pays a round trip per request: {@code ls
 * -lR} warm and cold, {@code find -type f} warm, and create, stat-after-create and unlink of many
 * files, over the same two-layer tree on the disk (the baseline), kernel overlayfs, fuse-overlayfs and
 * Strata (an editable and a read-only runtime, each on the shared mount and on a mount of its own,
 * {@code strata run --own-mount}). Each figure is the median of interleaved rounds, next
 * to its ratio to the disk's. Root: it mounts.
 *
 * <p>One more column, "libfuse, all kept", is libfuse's fusexmp_fh passing the merged tree through with
 * the kernel allowed to keep every entry, attribute and page for an hour. It pays a round trip only
 * where no cache can answer (its directory opens and reads, CREATE, UNLINK), so its create and unlink
 * rows are what one round trip costs a FUSE file system on this machine.
 */
public final class MetadataBenchmark {
    private static final int ROUNDS = 3;
    private static final String[] SETUPS = {"native", "kernel overlay", "fuse-overlayfs", "libfuse, all kept", "Strata --edit", "Strata read-only",
            "own mount --edit", "own mount read-only"};
    private static final String[] ROWS = {"ls -lR, warm (s)", "ls -lR, cold (s)", "find -type f, warm (s)", "create (ops/s)",
            "stat after create (ops/s)", "unlink (ops/s)"};

    private MetadataBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int dirs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int created = Math.min(files, 5_000);
        Path top = Path.of(System.getProperty("strata.top", ".")).toAbsolutePath();
        Path frontEnd = top.resolve("ops/target/strata-run");
        Path work = Files.createTempDirectory("strata-bench-");
        List<Path> mounts = new ArrayList<>();
        Process fuseOverlay = null;
        Process allKept = null;
        try {
            Path probe = BenchTools.compile(work, "probe.c", "probe", List.of());
            if (!Files.exists(Path.of("/usr/bin/fuse-overlayfs"))) {
                BenchTools.exec(List.of("apt-get", "install", "-y", "-qq", "fuse-overlayfs"), Map.of("DEBIAN_FRONTEND", "noninteractive"));
            }
            System.out.printf("metadata benchmark: %,d files in %,d directories over two layers...%n", files, dirs);
            Path lower = work.resolve("lower");
            Path upper = work.resolve("upper");
            writeTree(lower, upper, files, dirs);
            Path plain = work.resolve("native");
            BenchTools.run("cp", "-a", lower + "/.", plain + "/");
            BenchTools.run("cp", "-a", upper + "/.", plain + "/");

            Path kernel = Files.createDirectories(work.resolve("overlay"));
            BenchTools.run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + upper + ":" + lower + ",upperdir="
                    + Files.createDirectories(work.resolve("overlay-upper")) + ",workdir=" + Files.createDirectories(work.resolve("overlay-work")),
                    kernel.toString());
            mounts.add(kernel);
            Path fuse = Files.createDirectories(work.resolve("fuse-overlayfs"));
            fuseOverlay = new ProcessBuilder("fuse-overlayfs", "-f", "-o", "lowerdir=" + upper + ":" + lower + ",upperdir="
                    + Files.createDirectories(work.resolve("fo-upper")) + ",workdir=" + Files.createDirectories(work.resolve("fo-work")),
                    fuse.toString()).redirectErrorStream(true).redirectOutput(work.resolve("fuse-overlayfs.log").toFile()).start();
            BenchTools.awaitMount(fuse);
            Path allKeptTree = work.resolve("all-kept-tree");
            BenchTools.run("cp", "-a", plain + "/.", allKeptTree + "/");
            Path allKeptMount = Files.createDirectories(work.resolve("all-kept"));
            allKept = BenchTools.startFusexmp(BenchTools.compileFusexmp(work), allKeptMount, "allow_other,modules=subdir,subdir=" + allKeptTree
                    + ",kernel_cache,entry_timeout=3600,attr_timeout=3600,negative_timeout=3600", work.resolve("all-kept.log"));

            StrataHome home = new StrataHome(work.resolve("home"));
            new Importer(home.repository()).importDirectory(lower, "meta/base", Map.of(), new Importer.Listener() { });
            new Importer(home.repository()).importDirectory(upper, "meta/top", Map.of(), new Importer.Listener() { });
            Path mnt = work.resolve("mnt");
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, home.socketPath()));
            try {
                Map<String, double[][]> figures = new LinkedHashMap<>();
                for (String setup : SETUPS) {
                    figures.put(setup, new double[ROWS.length][ROUNDS]);
                }
                for (int round = 0; round < ROUNDS; round++) {
                    for (String setup : SETUPS) {
                        Path dir = switch (setup) {
                            case "native" -> plain;
                            case "kernel overlay" -> kernel;
                            case "fuse-overlayfs" -> fuse;
                            case "libfuse, all kept" -> allKeptMount;
                            default -> mnt;
                        };
                        List<String> runtime = switch (setup) {
                            case "Strata --edit" -> List.of(frontEnd.toString(), "run", "--edit", "meta/base+meta/top", "--");
                            case "Strata read-only" -> List.of(frontEnd.toString(), "run", "meta/base+meta/top", "--");
                            case "own mount --edit" -> List.of(frontEnd.toString(), "run", "--own-mount", "--edit", "meta/base+meta/top", "--");
                            case "own mount read-only" -> List.of(frontEnd.toString(), "run", "--own-mount", "meta/base+meta/top", "--");
                            default -> List.of();
                        };
                        Map<String, String> env = Map.of(StrataHome.VARIABLE, home.root().toString());
                        double[][] f = figures.get(setup);
                        // warm: the second of two walks in one process tree (one runtime, for Strata)
                        String walks = probe + " time ls -lR " + dir + " > /dev/null; " + probe + " time ls -lR " + dir + "; "
                                + probe + " time find " + dir + " -type f > /dev/null; " + probe + " time find " + dir + " -type f";
                        String[] warm = inside(runtime, env, walks).split("\n");
                        f[0][round] = Double.parseDouble(warm[0]);
                        f[2][round] = Double.parseDouble(warm[1]);
                        BenchTools.run("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches");
                        f[1][round] = Double.parseDouble(inside(runtime, env, probe + " time ls -lR " + dir));
                        if (!setup.endsWith("read-only")) {
                            String scratch = dir + "/meta-" + round;
                            String[] ops = inside(runtime, env, "mkdir " + scratch + " && " + probe + " meta " + scratch + " " + created
                                    + " && rmdir " + scratch).split(" ");
                            for (int i = 0; i < 3; i++) {
                                f[3 + i][round] = Double.parseDouble(ops[i]);
                            }
                        }
                    }
                }
                print(figures, files, dirs, created);
            } finally {
                daemon.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        } finally {
            if (fuseOverlay != null) {
                BenchTools.unmount(work.resolve("fuse-overlayfs"), fuseOverlay);
            }
            if (allKept != null) {
                BenchTools.unmount(work.resolve("all-kept"), allKept);
            }
            for (Path m : mounts) {
                new ProcessBuilder("umount", m.toString()).start().waitFor(30, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }

    /** A lower layer of {@code files} small files in {@code dirs} directories; an upper one that replaces and adds a file in every tenth. */
    private static void writeTree(Path lower, Path upper, int files, int dirs) throws Exception {
        byte[] content = "a small file of a source tree\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int d = 0; d < dirs; d++) {
            Path dir = Files.createDirectories(lower.resolve("d" + (d % 10) + "/d" + d));
            for (int i = d; i < files; i += dirs) {
                Files.write(dir.resolve("f" + i + ".c"), content);
            }
            if (d % 10 == 0) {
                Path changed = Files.createDirectories(upper.resolve("d" + (d % 10) + "/d" + d));
                Files.write(changed.resolve("f" + d + ".c"), "changed\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Files.write(changed.resolve("added.h"), content);
            }
        }
    }

    /** Runs a shell script in the setup's process tree (a Strata runtime when {@code runtime} names one); its output. */
    private static String inside(List<String> runtime, Map<String, String> env, String script) throws Exception {
        List<String> cmd = new ArrayList<>(runtime);
        cmd.addAll(List.of("sh", "-c", script));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static double median(double[] rounds) {
        double[] sorted = rounds.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void print(Map<String, double[][]> figures, int files, int dirs, int created) {
        System.out.printf("metadata benchmark: %,d files in %,d directories, 2 layers; create/stat/unlink of %,d files;"
                + " median of %d rounds; (ratio) = speed relative to native, higher is better%n", files, dirs, created, ROUNDS);
        StringBuilder head = new StringBuilder(String.format("  %-26s", ""));
        for (String setup : SETUPS) {
            head.append(String.format("%20s", setup));
        }
        System.out.println(head);
        for (int row = 0; row < ROWS.length; row++) {
            boolean seconds = row < 3;
            double nativeFigure = median(figures.get("native")[row]);
            StringBuilder line = new StringBuilder(String.format("  %-26s", ROWS[row]));
            for (String setup : SETUPS) {
                double v = median(figures.get(setup)[row]);
                if (v == 0) {
                    line.append(String.format("%20s", "-"));
                    continue;
                }
                double ratio = seconds ? nativeFigure / v : v / nativeFigure;
                line.append(String.format("%20s", seconds ? String.format("%.3f (%.2f)", v, ratio) : String.format("%,.0f (%.2f)", v, ratio)));
            }
            System.out.println(line);
        }
        System.out.println("  targets (issue 16): ls -lR and find warm >= 0.6 of native, cold >= 0.4; stat after create >= 0.3;"
                + " create >= 0.5; unlink >= 0.4; each at least 2x fuse-overlayfs");
        System.out.println("  own mount: strata run --own-mount, a FUSE connection of the runtime's own in its tree's mount namespace");
        System.out.println("  libfuse, all kept: fusexmp_fh with every answer kept by the kernel for an hour; its create and unlink are"
                + " what one round trip costs here");
    }
}
