package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.bench.LocalServers;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.TreeFacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Remotes with the real servers: another repository directory (file://), a real {@code strata serve}
 * process (grpc://) and a real S3 API server process (S3Proxy, s3://), all on this machine and
 * loopback; push, pull, lazy read-through in a real daemon, a server killed mid-pull, a forged blob.
 */
class RemoteTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String TOKEN = "remote-test-write-token-0123456789";
    private static final String S3_ACCESS = "strata-e2e";
    private static final String S3_SECRET = "strata-e2e-secret";

    static Path work;
    static Path source;
    static StrataProcess a;
    static final List<Process> servers = new ArrayList<>();
    static Server grpc;
    static String s3Endpoint;

    /** A running {@code strata serve}: its URL and the access log that counts served blobs. */
    record Server(Process process, String url, Path log, Path home) {
        long blobsServed() throws Exception {
            return Files.readAllLines(log).stream().filter(l -> l.contains("serving blob")).count();
        }
    }

    @BeforeAll
    static void startServers() throws Exception {
        work = Files.createTempDirectory("strata-remote-test-");
        source = Files.createDirectories(work.resolve("tree"));
        for (int i = 0; i < 2000; i++) {
            Path f = source.resolve("d" + (i % 20)).resolve("f" + i);
            Files.createDirectories(f.getParent());
            Files.writeString(f, "file " + i + " of the shared tree\n");
        }
        Files.writeString(source.resolve("README"), "a layer made on one machine and run on many\n");
        a = new StrataProcess(work.resolve("home-a")).withEnv("STRATA_WRITE_TOKEN", TOKEN);
        a.ok("import", source.toString(), "--tag", "team/tree");
        grpc = serve(work.resolve("home-served"));
        s3Endpoint = startS3(work.resolve("s3-data"));
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.stop(servers);
        if (work != null) {
            Renderer.deleteTree(work);
        }
    }

    /** Starts {@code strata serve} for {@code home} on a free loopback port, writable with the token. */
    static Server serve(Path home, String... options) throws Exception {
        LocalServers.Started s = LocalServers.serve(List.of(JAVA, "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main"),
                home, java.util.Map.of("STRATA_WRITE_TOKEN", TOKEN, "KEY_STORE_PASSWORD", "key-store-pass"), work, options);
        servers.add(s.process());
        return new Server(s.process(), s.url(), s.log(), home);
    }

    /** Starts S3Proxy, a real S3 API server over a directory, in its own process; returns its endpoint. */
    static String startS3(Path data) throws Exception {
        LocalServers.Started s3 = LocalServers.s3(Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath(), data, "strata-bucket", S3_ACCESS, S3_SECRET, work);
        servers.add(s3.process());
        return s3.url();
    }

    private static StrataProcess home(String name) {
        return new StrataProcess(work.resolve(name)).withEnv("STRATA_WRITE_TOKEN", TOKEN)
                .withEnv("AWS_ACCESS_KEY_ID", S3_ACCESS).withEnv("AWS_SECRET_ACCESS_KEY", S3_SECRET).withEnv("S3_SECRET", S3_SECRET);
    }

    /** Push from A, pull into a fresh B, and prove both sides sound and their renders identical. */
    private static void roundTrip(String kind, String url, String... addOptions) throws Exception {
        StrataProcess from = home("push-" + kind);
        from.ok("import", source.toString(), "--tag", "team/tree");
        List<String> add = new ArrayList<>(List.of("remote", "add", "origin", url));
        add.addAll(List.of(addOptions));
        from.ok(add.toArray(String[]::new));
        String pushed = from.ok("push", "team/tree").err();
        assertTrue(pushed.contains("pushed to origin: 2 objects, 2001 blobs"), pushed);
        assertTrue(from.ok("push", "team/tree").err().contains("0 objects, 0 blobs"), "a second push moves nothing");

        StrataProcess to = home("pull-" + kind);
        to.ok(add.toArray(String[]::new));
        String pulled = to.ok("pull", "team/tree").err();
        assertTrue(pulled.contains("pulled from origin: 2 objects, 2001 blobs"), pulled);
        assertTrue(to.ok("pull", "team/tree").err().contains("0 objects, 0 blobs, 0 B"), "a no-op re-pull moves nothing");
        assertTrue(from.ok("check").err().contains("all sound"));
        assertTrue(to.ok("check").err().contains("all sound"));
        Path renderedFrom = work.resolve("render-from-" + kind);
        Path renderedTo = work.resolve("render-to-" + kind);
        from.ok("render", "team/tree", renderedFrom.toString());
        to.ok("render", "team/tree", renderedTo.toString());
        assertEquals(TreeFacts.of(renderedFrom, true), TreeFacts.of(renderedTo, true));
        assertEquals(TreeFacts.of(source, false), TreeFacts.of(renderedTo, false));
    }

    @Test
    void pushAndPullOverAFileRemote() throws Exception {
        roundTrip("file", "file://" + work.resolve("shared-repo"));
    }

    @Test
    void pushAndPullOverARealStrataServe() throws Exception {
        roundTrip("grpc", serve(work.resolve("home-grpc-roundtrip")).url(), "--token-env", "STRATA_WRITE_TOKEN");
    }

    @Test
    void pushAndPullOverARealS3Server() throws Exception {
        roundTrip("s3", "s3://strata-bucket/team", "--endpoint", s3Endpoint, "--access-key", S3_ACCESS, "--secret-key-env", "S3_SECRET");
    }

    @Test
    void pushAndPullOverTls() throws Exception {
        Path keyStore = work.resolve("server.p12");
        Path ca = work.resolve("server-ca.pem");
        BenchExec.run("keytool", "-genkeypair", "-alias", "strata", "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "key-store-pass");
        BenchExec.run("keytool", "-exportcert", "-rfc", "-alias", "strata", "-keystore", keyStore.toString(), "-storepass", "key-store-pass",
                "-file", ca.toString());
        Server tls = serve(work.resolve("home-tls"), "--tls-key-store", keyStore.toString(), "--tls-password-env", "KEY_STORE_PASSWORD");
        assertTrue(tls.url().startsWith("grpcs://127.0.0.1:"), tls.url());

        StrataProcess untrusting = home("tls-untrusting");
        untrusting.ok("remote", "add", "origin", tls.url());
        StrataProcess.Outcome refused = untrusting.run("pull", "team/tree");
        assertEquals(1, refused.exit(), "a server whose certificate no trusted authority signed is refused");

        StrataProcess from = home("tls-push");
        from.ok("import", source.toString(), "--tag", "team/tree");
        from.ok("remote", "add", "origin", tls.url(), "--ca-file", ca.toString(), "--token-env", "STRATA_WRITE_TOKEN");
        assertTrue(from.ok("push", "team/tree").err().contains("2001 blobs"));
        StrataProcess to = home("tls-pull");
        to.ok("remote", "add", "origin", tls.url(), "--ca-file", ca.toString());
        assertTrue(to.ok("pull", "team/tree").err().contains("2001 blobs"));
        assertTrue(to.ok("check").err().contains("all sound"));
    }

    /** Runs a helper command to its end. */
    private static final class BenchExec {
        static void run(String... cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
            }
        }
    }

    @Test
    void aFullDiskMidPullIsNamedAndLeavesTheRepositoryConsistent() throws Exception {
        Path tree = Files.createDirectories(work.resolve("too-big"));
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 40; i++) {
            byte[] content = new byte[256 * 1024];
            random.nextBytes(content);
            Files.write(tree.resolve("part-" + i), content);
        }
        StrataProcess maker = home("full-disk-source");
        maker.ok("import", tree.toString(), "--tag", "too-big");
        Path small = Files.createDirectories(work.resolve("small-disk"));
        BenchExec.run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small.toString());
        try {
            StrataProcess full = new StrataProcess(small.resolve("home"));
            full.ok("remote", "add", "origin", "file://" + work.resolve("full-disk-source/repo"));
            StrataProcess.Outcome pulled = full.run("pull", "too-big", "-j", "1");
            assertEquals(1, pulled.exit());
            assertTrue(pulled.err().contains("No space left on device"), pulled.err());
            assertTrue(full.ok("check").err().contains("all sound"), "nothing half-written");
            assertFalse(full.run("tags").out().contains("too-big"));
            try (var leftovers = Files.list(small.resolve("home/repo/tmp"))) {
                assertEquals(0, leftovers.count(), "no temp file left behind");
            }
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void writesToAServedRepositoryNeedItsToken() throws Exception {
        StrataProcess intruder = home("no-token");
        intruder.ok("import", source.toString(), "--tag", "team/tree");
        intruder.ok("remote", "add", "origin", grpc.url());
        StrataProcess.Outcome refused = intruder.run("push", "team/tree");
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("refused") && refused.err().contains("write token"), refused.err());
        assertEquals("", home("served-check").run("tags").out().trim(), "nothing of the refused push is visible");
    }

    @Test
    void aRuntimeOnARefOnlyTheRemoteHasFetchesExactlyTheBlobsItReads() throws Exception {
        Server server = serve(work.resolve("home-read-through"));
        StrataProcess maker = home("maker");
        maker.ok("import", source.toString(), "--tag", "team/tree");
        maker.ok("remote", "add", "origin", server.url(), "--token-env", "STRATA_WRITE_TOKEN");
        maker.ok("push", "team/tree");
        long servedBefore = server.blobsServed();
        String config = "strata { remotes { origin { url = \"" + server.url() + "\" } }, read-through = \"origin\" }\n";
        try (DaemonFixture daemon = DaemonFixture.withConfig(config)) {
            Path out = daemon.work.resolve("read.out");
            String script = "cat " + daemon.mountpoint + "/d1/f1 " + daemon.mountpoint + "/d2/f2 " + daemon.mountpoint + "/README";
            String log = daemon.log();
            assertEquals(0, DaemonFixture.await(daemon.run("team/tree", script, out)), () -> Files.exists(out) ? out.toString() : log);
            assertEquals("file 1 of the shared tree\nfile 2 of the shared tree\na layer made on one machine and run on many\n", Files.readString(out));
            assertEquals(3, server.blobsServed() - servedBefore, "exactly the three blobs read were fetched");

            Path again = daemon.work.resolve("again.out");
            assertEquals(0, DaemonFixture.await(daemon.run("team/tree", script + "; ls " + daemon.mountpoint + "/d3 | wc -l", again)));
            assertTrue(Files.readString(again).endsWith("100\n"), Files.readString(again));
            assertEquals(3, server.blobsServed() - servedBefore, "a second runtime fetches nothing more");

            // many runtimes opening one missing blob at once cause one download
            List<Process> many = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                many.add(daemon.run("team/tree", "cat " + daemon.mountpoint + "/d5/f5", daemon.work.resolve("many-" + i + ".out")));
            }
            for (int i = 0; i < many.size(); i++) {
                assertEquals(0, DaemonFixture.await(many.get(i)));
                assertEquals("file 5 of the shared tree\n", Files.readString(daemon.work.resolve("many-" + i + ".out")));
            }
            assertEquals(4, server.blobsServed() - servedBefore, "ten runtimes, one download");

            String status = daemon.strata.ok("service", "status").out();
            assertTrue(status.contains("read-through from origin") && status.contains("4 blobs fetched") && status.contains("0 failures"), status);
            assertTrue(daemon.strata.ok("check").err().contains("all sound"), "blobs not fetched yet are not problems");

            // a blob no remote can give fails that open with EIO, and everything local keeps working
            server.process().destroy();
            assertTrue(server.process().waitFor(20, TimeUnit.SECONDS));
            Path offline = daemon.work.resolve("offline.out");
            DaemonFixture.await(daemon.run("team/tree", "cat " + daemon.mountpoint + "/d1/f1; cat " + daemon.mountpoint + "/d4/f4; echo rc=$?", offline));
            String text = Files.readString(offline);
            assertTrue(text.startsWith("file 1 of the shared tree\n") && text.contains("Input/output error") && text.endsWith("rc=1\n"), text);
            assertTrue(daemon.log().contains("read-through: ") && daemon.log().contains("origin"), daemon.log());
            assertTrue(daemon.strata.ok("service", "status").out().contains("1 failure"));
        }
    }

    @Test
    void aServerKilledMidPullLeavesTheRepositoryConsistentAndARerunMovesOnlyWhatWasMissing() throws Exception {
        Path big = Files.createDirectories(work.resolve("big-tree"));
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 300; i++) {
            byte[] content = new byte[64 * 1024];
            random.nextBytes(content);
            Files.write(big.resolve("blob-" + i), content);
        }
        Path servedHome = work.resolve("home-killed");
        StrataProcess served = home("home-killed");
        served.ok("import", big.toString(), "--tag", "big");
        Server server = serve(servedHome);
        StrataProcess puller = home("puller");
        puller.ok("remote", "add", "origin", server.url());
        Process pull = puller.startWithOutput(work.resolve("pull.out"), "pull", "big", "-j", "1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.blobsServed() < 40 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        server.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue(pull.waitFor(2, TimeUnit.MINUTES));
        String said = Files.readString(work.resolve("pull.out"));
        assertEquals(1, pull.exitValue(), said);
        assertTrue(said.contains("origin (" + server.url() + ")"), "the error names the remote: " + said);
        assertTrue(puller.ok("check").err().contains("all sound"));
        assertFalse(puller.run("tags").out().contains("big"), "no tag before everything it reaches is here");
        long arrived;
        try (var files = Files.walk(work.resolve("puller/repo/blobs"))) {
            arrived = files.filter(Files::isRegularFile).count();
        }
        assertTrue(arrived >= 30 && arrived < 300, "arrived " + arrived);

        Server restarted = serve(servedHome);
        puller.ok("remote", "add", "origin", restarted.url());
        String rerun = puller.ok("pull", "big").err();
        assertTrue(rerun.contains((300 - arrived) + " blobs"), rerun);
        assertEquals(300 - arrived, restarted.blobsServed(), "the rerun moved only what was missing");
        assertTrue(puller.ok("check").err().contains("all sound"));
    }

    @Test
    void aForgedBlobOnTheServerIsRefusedAndNeverStored() throws Exception {
        Path tree = Files.createDirectories(work.resolve("forged-tree"));
        Files.writeString(tree.resolve("payload"), "the genuine payload\n");
        StrataProcess served = home("home-forged");
        served.ok("import", tree.toString(), "--tag", "payload");
        // the blob's file in the served repository, overwritten in place as a corrupted or malicious server would
        Path blob;
        try (var files = Files.walk(work.resolve("home-forged/repo/blobs"))) {
            blob = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        blob.toFile().setWritable(true);
        Files.writeString(blob, "a forged payload!!!\n");
        Server server = serve(work.resolve("home-forged"));
        StrataProcess victim = home("victim");
        victim.ok("remote", "add", "origin", server.url());
        StrataProcess.Outcome refused = victim.run("pull", "payload");
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("was refused") && refused.err().contains("origin"), refused.err());
        assertNotEquals(true, Files.exists(work.resolve("victim/repo/blobs")) && hasFiles(work.resolve("victim/repo/blobs")), "nothing stored");
        assertFalse(victim.run("tags").out().contains("payload"));
    }

    private static boolean hasFiles(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.anyMatch(Files::isRegularFile);
        }
    }

    @Test
    void badRemoteInputGetsAClearError() throws Exception {
        StrataProcess user = home("bad-input");
        assertTrue(user.run("remote", "add", "a/b", "file:///tmp/x").err().contains("invalid remote name"));
        assertTrue(user.run("remote", "add", "x", "ftp://host/x").err().contains("unknown kind of remote URL"));
        assertTrue(user.run("remote", "add", "x", "grpc://host").err().contains("grpc://HOST:PORT"));
        assertTrue(user.run("pull", "anything").err().contains("no remote is configured"));
        user.ok("remote", "add", "dead", "grpc://127.0.0.1:9");
        StrataProcess.Outcome unreachable = user.run("pull", "anything");
        assertEquals(1, unreachable.exit());
        assertTrue(unreachable.err().contains("dead (grpc://127.0.0.1:9)") && unreachable.err().contains("unreachable"), unreachable.err());
        user.ok("remote", "add", "nobucket", "s3://no-such-bucket", "--endpoint", s3Endpoint);
        assertTrue(user.run("pull", "x", "--remote", "nobucket").err().contains("'no-such-bucket'"));
        String list = user.ok("remote", "list").out();
        assertTrue(list.contains("dead") && list.contains("nobucket"), list);
        user.ok("remote", "remove", "dead");
        assertFalse(user.ok("remote", "list").out().contains("dead "));
    }
}
