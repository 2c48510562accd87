package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.ops.control.ControlClient;
import dev.strata.protocol.DiffRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.UnmountRequest;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon as a privilege boundary: a local attacker (uid 65534, a raw gRPC client on the socket)
 * replays every attack of issue 9 against root's runtimes, snapshot, branch and tag; each is refused
 * and nothing of root's changes. Then the same user's own operations work, nothing under the home is
 * readable to it, a name race has one winner, and a fuzzer does not hurt the daemon.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ControlTrustTest {
    static final String NOBODY = "--reuid=65534";
    static DaemonFixture daemon;
    static Path socket;
    static Path classpath;
    static String baseDigest;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        socket = daemon.home.resolve("daemon/control.sock");
        baseDigest = daemon.layer("base", "etc/motd", "root's base\n");
        classpath = readableClasspath();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** The CLI's jars and these test classes, copied where user nobody can read them. */
    private static Path readableClasspath() throws Exception {
        Path dir = Files.createDirectories(daemon.work.resolve("cp"));
        List<Path> sources = new ArrayList<>(List.of(Path.of("../ops/target/strata.jar")));
        try (var libs = Files.list(Path.of("../ops/target/lib"))) {
            libs.forEach(sources::add);
        }
        for (Path jar : sources) {
            Files.copy(jar, dir.resolve(jar.getFileName()));
        }
        Files.copy(NativeClientTest.NATIVE, dir.resolve("strata-run"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Path classes = Path.of("target/test-classes/dev/strata/e2e");
        Path into = Files.createDirectories(dir.resolve("classes/dev/strata/e2e"));
        try (var files = Files.list(classes)) {
            for (Path c : files.filter(f -> f.getFileName().toString().startsWith("Intruder")).toList()) {
                Files.copy(c, into.resolve(c.getFileName()));
            }
        }
        new ProcessBuilder("chmod", "-R", "a+rX", dir.toString()).start().waitFor();
        return dir;
    }

    /** Runs {@code args} as uid/gid 65534 with no groups; returns its output (stdout and stderr). */
    private static StrataProcess.Outcome asNobody(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", NOBODY, "--regid=65534", "--clear-groups", "env", "STRATA_HOME=" + daemon.home));
        cmd.addAll(args);
        Path out = Files.createTempFile(daemon.work, "out", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(args + " did not finish");
        }
        return new StrataProcess.Outcome(p.exitValue(), Files.readString(out), "");
    }

    private static List<String> java(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                classpath + "/classes:" + classpath + "/*", main));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> cli(String... args) {
        return java("dev.strata.ops.Main", args);
    }

    @Test
    void anAttackerAsNobodyIsRefusedEverythingAndChangesNothing() throws Exception {
        // root's objects: a durable runtime at rest, a running one, a snapshot and a branch of it
        daemon.strata.ok("run", "--durable", "--name", "victim", "base", "--", "sh", "-c", "echo secret > " + daemon.mountpoint + "/data");
        Path ready = daemon.work.resolve("live.ready");
        Process live = daemon.strata.startWithOutput(daemon.work.resolve("live.log"), "run", "--edit", "--name", "victim-live", "base", "--",
                "sh", "-c", "echo mine > " + daemon.mountpoint + "/live && touch " + ready + " && exec sleep 300");
        awaitFile(ready, live);
        daemon.strata.ok("snapshot", "create", "victim", "--name", "victim-snap");
        daemon.strata.ok("branch", "create", "victim-snap", "--name", "victim-branch");
        int victimPid = (int) live.descendants().filter(h -> h.info().command().orElse("").endsWith("sleep")).findFirst()
                .orElseThrow().pid();

        Map<String, String> results = new LinkedHashMap<>();
        for (String line : asNobody(java("dev.strata.e2e.Intruder", "attacks", socket.toString(), Integer.toString(victimPid),
                Long.toString(live.pid()))).out().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.contains(" WARN ")) {
                results.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        for (String attack : List.of("shutdown", "unmount", "commitBranch", "deleteBranch", "diffBranch", "deleteSnapshot", "branchOfSnapshot",
                "snapshotOfVictim", "mountInit", "mountRootProcess", "joinDurable", "joinLive", "commitVictim", "diffVictim", "unbindVictim", "removeRuntime", "removeTag",
                "progressVictim", "progressOfVictimPid")) {
            assertTrue(String.valueOf(results.get(attack)).startsWith("PERMISSION_DENIED"), attack + " was not refused: " + results);
        }
        assertTrue(results.get("hugeName").startsWith("INVALID_ARGUMENT") || results.get("hugeName").startsWith("RESOURCE_EXHAUSTED"),
                results.toString());
        assertTrue(results.get("hugeName").length() < 300, "the error quotes too much: " + results.get("hugeName").length());
        assertEquals("0,0,0", results.get("listed"), "a non-root caller sees only its own objects");
        assertEquals("INVALID_ARGUMENT", results.get("malformed"));

        // nothing changed: the daemon serves, root's runtime, tag, snapshot and branch are intact
        assertTrue(daemon.daemonProcess().isAlive());
        assertEquals("secret\n", daemon.strata.ok("run", "--join", "victim", "--", "cat", daemon.mountpoint + "/data").out());
        assertTrue(live.isAlive(), "root's running runtime was ended");
        assertTrue(daemon.strata.ok("tags").out().contains(baseDigest + "  base"), "the base tag moved");
        assertTrue(daemon.strata.ok("branch", "list").out().contains("victim-branch"));
        assertTrue(daemon.strata.ok("snapshot", "list").out().contains("victim-snap"));
        String status = daemon.strata.ok("service", "status").out();
        assertTrue(status.contains("victim-live") && !status.contains("trap"), status);
        live.destroyForcibly();
    }

    @Test
    void aUserActsOnItsOwnObjectsAndReadsNothingOfTheDaemonsHome() throws Exception {
        StrataProcess.Outcome run = asNobody(cli("run", "--durable", "--name", "nobodys", "base", "--", "sh", "-c",
                "cat " + daemon.mountpoint + "/etc/motd && id -u"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("root's base") && run.out().contains("65534"), run.out());
        assertEquals(0, asNobody(cli("snapshot", "create", "nobodys", "--name", "nobodys-snap")).exit());
        assertEquals(0, asNobody(cli("branch", "create", "nobodys-snap", "--name", "nobodys-branch")).exit());
        StrataProcess.Outcome diff = asNobody(cli("branch", "diff", "nobodys-branch"));
        assertEquals(0, diff.exit(), diff.out());
        assertTrue(asNobody(cli("branch", "list")).out().contains("nobodys-branch"));
        StrataProcess.Outcome stop = asNobody(cli("service", "stop"));
        assertEquals(1, stop.exit());
        assertTrue(stop.out().contains("only root may stop the daemon"), stop.out());
        assertEquals(0, asNobody(cli("branch", "delete", "nobodys-branch")).exit());
        assertEquals(0, asNobody(cli("snapshot", "delete", "nobodys-snap")).exit());
        String runtimes = asNobody(cli("runtime", "list")).out();
        assertTrue(runtimes.contains("nobodys") && runtimes.contains("at rest") && !runtimes.contains("victim"), runtimes);
        assertEquals(0, asNobody(cli("runtime", "remove", "nobodys")).exit());
        assertTrue(!Files.exists(daemon.home.resolve("runtimes/nobodys")));
        // root sees and may end what nobody owns
        assertTrue(daemon.strata.ok("branch", "list").out().isEmpty());

        StrataProcess.Outcome readable = asNobody(List.of("find", daemon.home.toString(), "-readable"));
        assertEquals("", readable.out().replaceAll("find: .*Permission denied\\n?", "").trim(), "readable to nobody: " + readable.out());
    }

    @Test
    void aUserReadsTheRepositoryThroughTheDaemonAndSeesNoMoreThanTheMountShows() throws Exception {
        Path src = Files.createDirectories(daemon.work.resolve("guarded-src"));
        Files.createDirectories(src.resolve("secret/inner"));
        Files.writeString(src.resolve("secret/inner/key"), "root's key\n");
        Files.createDirectories(src.resolve("pub"));
        Files.writeString(src.resolve("pub/readme"), "public\n");
        dev.strata.persistence.NativeFs.chmod(src.resolve("secret"), 0700);
        daemon.strata.ok("import", src.toString(), "--tag", "guarded");
        List<String> strataRun = List.of(classpath.resolve("strata-run").toString());

        // the native front end: the daemon reads its repository (0700, closed to this user) for it
        StrataProcess.Outcome root = asNobody(concat(strataRun, "ls", "guarded", "/"));
        assertEquals(0, root.exit(), root.out());
        assertTrue(root.out().contains(" pub") && root.out().contains(" secret"), root.out());
        StrataProcess.Outcome closed = asNobody(concat(strataRun, "ls", "guarded", "/secret"));
        assertEquals(1, closed.exit(), closed.out());
        assertTrue(closed.out().contains("permission denied") && !closed.out().contains("inner"), closed.out());
        StrataProcess.Outcome beyond = asNobody(concat(strataRun, "ls", "guarded", "/secret/inner/key"));
        assertEquals(1, beyond.exit(), beyond.out());
        assertTrue(beyond.out().contains("permission denied") && !beyond.out().contains("root's"), beyond.out());
        StrataProcess.Outcome diff = asNobody(concat(strataRun, "diff", "base", "guarded"));
        assertEquals(0, diff.exit(), diff.out());
        assertTrue(diff.out().contains("+ /pub/readme") && diff.out().contains("+ /secret\n") && !diff.out().contains("/secret/"), diff.out());
        assertTrue(daemon.strata.ok("diff", "base", "guarded").out().contains("+ /secret/inner/key"), "root sees it all");
        StrataProcess.Outcome tags = asNobody(concat(strataRun, "tags"));
        assertTrue(tags.exit() == 0 && tags.out().contains("  guarded"), tags.out());
        assertEquals(0, asNobody(concat(strataRun, "info", "guarded")).exit());
        // the same verdict through the mount
        StrataProcess.Outcome mounted = asNobody(concat(strataRun, "run", "guarded", "--", "sh", "-c",
                "ls " + daemon.mountpoint + "/pub; ls " + daemon.mountpoint + "/secret"));
        assertTrue(mounted.out().contains("readme") && mounted.out().contains("Permission denied"), mounted.out());
        // the full CLI reads the repository's files itself, with this user's rights: refused
        assertEquals(1, asNobody(cli("ls", "guarded", "/")).exit());
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    @Test
    void concurrentStartsOfOneNameHaveOneWinnerAndItsScratchSurvives() throws Exception {
        List<Process> roots = new ArrayList<>();
        try (ControlClient client = daemon.client()) {
            Path marker = daemon.work.resolve("race.ready");
            for (int i = 0; i < 20; i++) {
                roots.add(new ProcessBuilder("sh", "-c", "while [ ! -e " + marker + " ]; do sleep 0.05; done; echo before > "
                        + daemon.mountpoint + "/winner 2>/dev/null; exec sleep 300").start());
            }
            List<CompletableFuture<String>> calls = new ArrayList<>();
            for (Process p : roots) {
                calls.add(client.mount(MountRequest.newBuilder().setRootPid((int) p.pid()).setEnvSpec("base").setEditable(true).setName("x").build())
                        .toCompletableFuture().handle((ok, e) -> ok != null ? "OK" : codeOf(e)));
            }
            Map<String, Integer> codes = new LinkedHashMap<>();
            int winner = -1;
            for (int i = 0; i < calls.size(); i++) {
                String code = calls.get(i).get(60, TimeUnit.SECONDS);
                codes.merge(code, 1, Integer::sum);
                if (code.equals("OK")) {
                    winner = (int) roots.get(i).pid();
                }
            }
            assertEquals(Map.of("OK", 1, "ALREADY_EXISTS", 19), codes);
            Files.createFile(marker);
            DiffRequest diffOfWinner = DiffRequest.newBuilder().setPid(winner).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.diff(diffOfWinner).toCompletableFuture().get(30, TimeUnit.SECONDS).getChangesCount() == 0) {
                assertTrue(System.nanoTime() < deadline, "the winner did not write");
                Thread.sleep(50);
            }
            // a second wave against the running runtime: all refused, and the winner's scratch is intact
            List<CompletableFuture<String>> again = new ArrayList<>();
            for (Process p : roots) {
                again.add(client.mount(MountRequest.newBuilder().setRootPid((int) p.pid()).setEnvSpec("base").setEditable(true).setName("x").build())
                        .toCompletableFuture().handle((ok, e) -> ok != null ? "OK" : codeOf(e)));
            }
            for (CompletableFuture<String> c : again) {
                assertEquals("ALREADY_EXISTS", c.get(60, TimeUnit.SECONDS));
            }
            assertEquals("winner", client.diff(diffOfWinner).toCompletableFuture().get(30, TimeUnit.SECONDS).getChanges(0).getPath());
            client.unmount(UnmountRequest.newBuilder().setName("x").build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            roots.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void tenThousandMalformedRequestsLeaveTheDaemonWellAndQuiet() throws Exception {
        daemon.strata.ok("service", "status"); // warm: the first calls load the handler classes
        long rssBefore = rssKb(daemon.daemonProcess().pid());
        long logBefore = Files.size(daemon.work.resolve("daemon.log"));
        StrataProcess.Outcome fuzz = asNobody(java("dev.strata.e2e.Intruder", "fuzz", socket.toString(), "20261201", "10000"));
        assertEquals(0, fuzz.exit(), fuzz.out());
        assertTrue(daemon.daemonProcess().isAlive(), "the daemon died");
        long rssAfter = rssKb(daemon.daemonProcess().pid());
        long logGrowth = Files.size(daemon.work.resolve("daemon.log")) - logBefore;
        System.out.printf("fuzz: %s; daemon RSS %,d -> %,d KiB; log +%,d bytes%n", fuzz.out().replace('\n', ' '), rssBefore, rssAfter, logGrowth);
        assertTrue(rssAfter < 2 * rssBefore, "RSS grew from " + rssBefore + " to " + rssAfter + " KiB");
        assertTrue(logGrowth < 1_000_000, "the log grew by " + logGrowth + " bytes");
        // CANCELLED would be a stream reset instead of an answer: the daemon reads every request to its end first
        assertTrue(!fuzz.out().contains("code INTERNAL") && !fuzz.out().contains("code CANCELLED") && fuzz.out().contains("code INVALID_ARGUMENT"), fuzz.out());
        Path out = daemon.work.resolve("after-fuzz.out");
        assertEquals(0, DaemonFixture.await(daemon.run("base", "cat " + daemon.mountpoint + "/etc/motd", out)));
        assertEquals("root's base\n", Files.readString(out));
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    private static String codeOf(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof StatusRuntimeException s ? s.getStatus().getCode().name() : cause.toString();
    }

    private static void awaitFile(Path file, Process owner) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the runtime did not get ready");
            }
            Thread.sleep(50);
        }
    }
}
