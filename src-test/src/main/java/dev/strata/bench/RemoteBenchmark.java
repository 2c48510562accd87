package dev.strata.bench;

import dev.strata.ops.StrataConfig;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.ops.remote.Remote;
import dev.strata.ops.remote.Remotes;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Push and pull of a layer (default 1 GiB in 10,000 files) over loopback for each kind of remote
 * (file://, a real strata serve, a real S3 server), next to {@code tar -c | tar -x} of the same files
 * between two local directories in the same run; a no-op re-pull; and the time to the first output
 * of a command in a runtime whose layer is not local yet (read-through), next to the same with it local.
 */
public final class RemoteBenchmark {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String TOKEN = "bench-write-token-0123456789";

    private RemoteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double gib = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        Path top = Path.of(System.getProperty("strata.top", "."));
        Path work = Files.createTempDirectory("strata-bench-remote-");
        List<Process> servers = new ArrayList<>();
        try {
            Path src = work.resolve("src");
            long bytes = makeTree(src, (long) (gib * (1L << 30)), files);
            System.out.printf("remote benchmark: %,d files, %.2f GiB; importing...%n", files, bytes / (double) (1L << 30));
            Path homeA = work.resolve("home-a");
            new Importer(new StrataHome(homeA).repository()).importDirectory(src, "bench/tree", Map.of(), new Importer.Listener() { });
            BenchTools.run("sync");

            double tar = seconds(() -> BenchTools.run("sh", "-c", "mkdir -p " + work.resolve("tar-copy") + " && tar -C " + src + " -cf - . | tar -C "
                    + work.resolve("tar-copy") + " -xf - && sync"));
            System.out.printf("  baseline tar -c | tar -x (then sync):  %7.2f s%n", tar);

            LocalServers.Started served = LocalServers.serve(List.of(top.resolve("bin/strata").toString()), work.resolve("home-served"),
                    Map.of("STRATA_WRITE_TOKEN", TOKEN), work);
            servers.add(served.process());
            String grpcUrl = served.url();
            String s3Endpoint = startS3(top, work.resolve("s3"), servers, work);
            String[][] kinds = {
                    {"file", "file://" + work.resolve("shared-repo")},
                    {"grpc", grpcUrl, "--token-env", "STRATA_WRITE_TOKEN"},
                    {"s3", "s3://bench-bucket/strata", "--endpoint", s3Endpoint, "--access-key", "bench", "--secret-key-env", "S3_SECRET"}};
            System.out.printf("  %-6s %10s %10s %12s %14s%n", "kind", "push s", "pull s", "re-pull s", "ratio push/tar");
            for (String[] kind : kinds) {
                Path homeB = work.resolve("home-pull-" + kind[0]);
                List<String> add = new ArrayList<>(List.of("remote", "add", "origin"));
                add.addAll(List.of(kind).subList(1, kind.length));
                cli(homeA, add.toArray(String[]::new));
                cli(homeB, add.toArray(String[]::new));
                double push = seconds(() -> cli(homeA, "push", "bench/tree", "--remote", "origin"));
                double pull = seconds(() -> cli(homeB, "pull", "bench/tree", "--remote", "origin"));
                double repull = seconds(() -> cli(homeB, "pull", "bench/tree", "--remote", "origin"));
                System.out.printf("  %-6s %10.2f %10.2f %12.2f %14.2f   (pull/tar %.2f)%n", kind[0], push, pull, repull, push / tar, pull / tar);
                Renderer.deleteTree(homeB);
            }

            firstOutput(top, work, grpcUrl, src);
        } finally {
            LocalServers.stop(servers);
            Renderer.deleteTree(work);
        }
    }

    /** A runtime on a ref only the remote has (manifests and one blob fetched) vs the same command once they are local. */
    private static void firstOutput(Path top, Path work, String grpcUrl, Path src) throws Exception {
        Path home = work.resolve("home-read-through");
        Path mnt = work.resolve("mnt");
        Remote origin = new Remote("origin", grpcUrl, null, null, null, null, null, null, null);
        Daemon daemon = Daemon.start(new StrataHome(home), new Daemon.Options(mnt, true, StrataConfig.DEFAULT_READERS, new StrataHome(home).socketPath(),
                dev.strata.ops.cli.StrataCommand::serve, List.of(Remotes.open(origin, Map.of()))));
        try {
            String file = mnt + "/d3/f3";
            String strata = top.resolve("bin/strata").toString();
            Map<String, String> env = Map.of("STRATA_HOME", home.toString());
            double remote = seconds(() -> BenchTools.exec(List.of(strata, "run", "bench/tree", "--", "head", "-c", "16", file), env));
            double[] local = new double[5];
            for (int i = 0; i < local.length; i++) {
                local[i] = seconds(() -> BenchTools.exec(List.of(strata, "run", "bench/tree", "--", "head", "-c", "16", file), env));
            }
            double best = java.util.Arrays.stream(local).min().orElse(0);
            System.out.printf("  first output of `strata run bench/tree -- head -c 16 FILE`: layer remote %.0f ms, local %.0f ms (best of %d), ratio %.1f%n",
                    remote * 1000, best * 1000, local.length, remote / best);
        } finally {
            daemon.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double seconds(Work w) throws Exception {
        long t0 = System.nanoTime();
        w.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The CLI as a user runs it: bin/strata, with its JVM options. */
    private static void cli(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("strata.top", ".")).resolve("bin/strata").toString()));
        cmd.addAll(List.of(args));
        BenchTools.exec(cmd, Map.of("STRATA_HOME", home.toString(), "STRATA_WRITE_TOKEN", TOKEN, "S3_SECRET", "bench-secret"));
    }

    private static long makeTree(Path root, long total, int files) throws Exception {
        Random random = new Random(5);
        long each = Math.max(1, total / files);
        byte[] buf = new byte[(int) Math.min(each, 1 << 20)];
        long written = 0;
        for (int i = 0; i < files; i++) {
            Path f = root.resolve("d" + (i % 100)).resolve("f" + i);
            Files.createDirectories(f.getParent());
            try (OutputStream out = Files.newOutputStream(f)) {
                for (long left = each; left > 0; left -= buf.length) {
                    random.nextBytes(buf);
                    out.write(buf, 0, (int) Math.min(left, buf.length));
                }
            }
            written += each;
        }
        return written;
    }

    /** S3Proxy's self-contained jar: the test build's copy, made when missing. */
    private static String startS3(Path top, Path data, List<Process> servers, Path work) throws Exception {
        Path jar = top.resolve("src-test/target/s3proxy/s3proxy.jar");
        if (!Files.exists(jar)) {
            BenchTools.exec(List.of("mvn", "-B", "-q", "-f", top.resolve("pom.xml").toString(), "-pl", "src-test", "dependency:copy@s3proxy"), Map.of());
        }
        LocalServers.Started s3 = LocalServers.s3(jar, data, "bench-bucket", "bench", "bench-secret", work);
        servers.add(s3.process());
        return s3.url();
    }
}
