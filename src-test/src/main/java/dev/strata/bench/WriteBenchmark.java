package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes through editable runtimes of a real Strata mount against baselines measured in the same
 * run: a new 1 GiB file written sequentially vs the same on the disk under the scratch; the first
 * one-byte write to a 256 MiB lower file (its copy-up) vs a one-byte write to that file on disk and
 * a full copy of it; and create/stat/unlink of 10,000 files vs the libfuse C passthrough example
 * (fusexmp_fh) over a directory on the same disk. Every Strata round is a fresh editable runtime.
 */
public final class WriteBenchmark {
    private static final int ROUNDS = 3;
    private static final List<String> EDIT = List.of("--edit", "bench");

    private WriteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int gib = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        long mib = (long) gib << 10;
        Path work = Files.createTempDirectory("strata-bench-");
        Path xmpMount = work.resolve("xmp");
        try {
            Path probe = BenchTools.compile(work, "probe.c", "probe", List.of());
            Path xmp = BenchTools.compileFusexmp(work);
            StrataHome home = new StrataHome(work.resolve("home"));
            Repository repo = home.repository();
            Path src = Files.createDirectories(work.resolve("layer/data"));
            BenchTools.writeBigFile(src.resolve("lower.bin"), 256L << 20);
            System.out.println("write benchmark: importing a 256 MiB lower file...");
            Importer.Result layer = new Importer(repo).importDirectory(work.resolve("layer"), "bench", Map.of(), new Importer.Listener() { });
            Manifest m = repo.manifest(layer.manifest());
            Path blob = repo.blobs().path(m.blob(m.find("data/lower.bin")));
            Path plain = work.resolve("plain");
            new Renderer(repo).render(m, plain, Renderer.Mode.COPY);
            Renderer.deleteTree(work.resolve("layer"));

            Path mnt = work.resolve("mnt");
            double[] writeDirect = new double[ROUNDS];
            double[] writeStrata = new double[ROUNDS];
            double[] pokeDirect = new double[ROUNDS];
            double[] pokeStrata = new double[ROUNDS];
            double[] fullCopy = new double[ROUNDS];
            double[] filesXmp = new double[ROUNDS];
            double[] filesStrata = new double[ROUNDS];
            Daemon daemon = Daemon.start(home, new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, home.socketPath()));
            Files.createDirectories(xmpMount);
            try {
                Process fusexmp = BenchTools.startFusexmp(xmp, xmpMount, "modules=subdir,subdir=" + plain
                        + ",entry_timeout=0,attr_timeout=0,ac_attr_timeout=0", work.resolve("fusexmp.log"));
                try {
                    for (int i = 0; i < ROUNDS; i++) {
                        Path direct = work.resolve("direct.bin");
                        writeDirect[i] = Double.parseDouble(BenchTools.run(probe.toString(), "write", direct.toString(), Long.toString(mib)));
                        Files.delete(direct);
                        writeStrata[i] = Double.parseDouble(BenchTools.inRuntime(home, EDIT, probe, "write", mnt + "/data/new.bin",
                                Long.toString(mib)));
                        pokeDirect[i] = Double.parseDouble(BenchTools.run(probe.toString(), "poke", plain.resolve("data/lower.bin").toString()));
                        pokeStrata[i] = Double.parseDouble(BenchTools.inRuntime(home, EDIT, probe, "poke", mnt + "/data/lower.bin"));
                        fullCopy[i] = copyMicros(blob, work.resolve("copy.bin"));
                        // a fresh directory per round on both sides: each Strata round is a new runtime with a new scratch
                        Files.createDirectories(plain.resolve("round-" + i));
                        filesXmp[i] = Double.parseDouble(BenchTools.run(probe.toString(), "files", xmpMount + "/round-" + i,
                                Integer.toString(files)));
                        filesStrata[i] = Double.parseDouble(BenchTools.inRuntime(home, EDIT, probe, "files", mnt + "/data",
                                Integer.toString(files)));
                    }
                } finally {
                    BenchTools.unmount(xmpMount, fusexmp);
                }
            } finally {
                daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }

            System.out.printf("sequential write of a new %d GiB file, 1 MiB writes, until close (best of %d):%n", gib, ROUNDS);
            BenchTools.compare("on the scratch's disk: ", writeDirect, writeStrata, "MiB/s", 0.8);
            System.out.printf("first one-byte write to a 256 MiB lower file: open, write, close (best of %d, microseconds):%n", ROUNDS);
            System.out.printf("  the file on disk, no copy:  %8.0f us   %s%n", min(pokeDirect), Arrays.toString(pokeDirect));
            System.out.printf("  a full copy of the file:    %8.0f us   %s%n", min(fullCopy), Arrays.toString(fullCopy));
            System.out.printf("  through Strata (copy-up):   %8.0f us   %s%n", min(pokeStrata), Arrays.toString(pokeStrata));
            System.out.printf("create, stat and unlink of %,d files (operations per second, best of %d):%n", files, ROUNDS);
            BenchTools.compare("fusexmp_fh, timeouts 0:", filesXmp, filesStrata, "/s   ", 1.0);
        } finally {
            if (Files.exists(xmpMount)) {
                new ProcessBuilder("umount", "-l", xmpMount.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }

    /** The time of copying a file as the copy-up does (a reflink where possible, else copy_file_range). */
    private static double copyMicros(Path source, Path target) throws Exception {
        long start = System.nanoTime();
        dev.strata.persistence.NativeFs.cloneOrCopy(source, target);
        double micros = (System.nanoTime() - start) / 1e3;
        Files.delete(target);
        return micros;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }
}
