package dev.strata.bench;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Real servers on loopback for remote tests and benchmarks: strata serve, and S3Proxy as an S3 server. */
public final class LocalServers {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private LocalServers() {
    }

    /** A started server: its process, its address, and its log (stderr). */
    public record Started(Process process, String url, Path log) {
    }

    /**
     * Starts {@code strata serve} ({@code strata} is the command that runs the CLI) for {@code home} on a
     * free loopback port, writable with the token in {@code STRATA_WRITE_TOKEN} of {@code env}.
     */
    public static Started serve(List<String> strata, Path home, Map<String, String> env, Path work, String... options) throws Exception {
        Files.createDirectories(home);
        Path log = Files.createTempFile(work, "serve", ".log");
        Path out = Files.createTempFile(work, "serve", ".out");
        List<String> cmd = new ArrayList<>(strata);
        cmd.addAll(List.of("serve", "--listen", "127.0.0.1:0", "--write-token-env", "STRATA_WRITE_TOKEN"));
        cmd.addAll(List.of(options));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("STRATA_HOME", home.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Files.readString(out).isBlank()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("strata serve did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return new Started(p, Files.readString(out).trim(), log);
    }

    /** Starts S3Proxy (its self-contained jar) over {@code data}, with bucket {@code bucket}, on a free loopback port. */
    public static Started s3(Path jar, Path data, String bucket, String access, String secret, Path work) throws Exception {
        Files.createDirectories(data.resolve(bucket));
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + port;
        Path props = Files.createTempFile(work, "s3proxy", ".properties");
        Files.writeString(props, String.join("\n", "s3proxy.endpoint=" + endpoint, "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + access, "s3proxy.credential=" + secret, "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data, ""));
        Path log = Files.createTempFile(work, "s3proxy", ".log");
        Process p = new ProcessBuilder(JAVA, "-jar", jar.toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return new Started(p, endpoint, log);
            } catch (java.io.IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("S3Proxy did not start: " + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
    }

    /** Stops servers, forcibly after 10 s. */
    public static void stop(List<Process> servers) throws InterruptedException {
        for (Process p : servers) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
