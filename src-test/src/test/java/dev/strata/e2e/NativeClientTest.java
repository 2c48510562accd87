package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The native front end ({@code ops/target/strata-run}) that starts process trees: exit codes as shells
 * give them, shells, branches, and fifty trees at once on this two-core machine.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NativeClientTest {
    static final Path NATIVE = Path.of("../ops/target/strata-run").toAbsolutePath().normalize();
    static DaemonFixture daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        daemon.layer("base", "etc/motd", "base\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static ProcessBuilder strata(String... args) {
        return daemon.nativeFrontEnd(args);
    }

    private static StrataProcess.Outcome run(String... args) throws Exception {
        return daemon.nativeRun(args);
    }

    @Test
    void exitCodesPassThroughAsAShellGivesThem() throws Exception {
        StrataProcess.Outcome ok = run("run", "base", "--", "cat", daemon.mountpoint + "/etc/motd");
        assertEquals(0, ok.exit(), ok.out());
        assertEquals("base\n", ok.out());
        assertEquals(3, run("run", "base", "--", "sh", "-c", "exit 3").exit());
        StrataProcess.Outcome missing = run("run", "base", "--", "no-such-command");
        assertEquals(127, missing.exit());
        assertTrue(missing.out().contains("strata: no-such-command: command not found"), missing.out());
        assertEquals(126, run("run", "base", "--", "/etc/passwd").exit());
        assertEquals(128 + 9, run("run", "base", "--", "sh", "-c", "kill -9 $$").exit());
        StrataProcess.Outcome unknown = run("run", "no-such-tag", "--", "true");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.out().contains("unknown ref 'no-such-tag'"), unknown.out());
        assertEquals(2, run("run", "a++b", "--", "true").exit(), "a malformed spec is a usage error");
        assertEquals(2, run("run", "--bogus", "base", "--", "true").exit(), "no fallback CLI: a usage error");
        // the JVM CLI answers alike
        StrataProcess.Outcome jvm = daemon.strata.run("run", "base", "--", "no-such-command");
        assertEquals(127, jvm.exit());
        assertTrue(jvm.err().contains("strata: no-such-command: command not found"), jvm.err());
        assertEquals(126, daemon.strata.run("run", "base", "--", "/etc/passwd").exit());
        assertEquals(2, daemon.strata.run("run", "a++b", "--", "true").exit());
    }

    @Test
    void anInstalledStrataIsTheFrontEndAndHandsEveryOtherCommandToTheJvm() throws Exception {
        Path prefix = daemon.work.resolve("installed");
        Path log = daemon.work.resolve("install.out");
        Process install = new ProcessBuilder(Path.of("../bin/install").toAbsolutePath().normalize().toString(), "--no-build", prefix.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(install.waitFor(120, TimeUnit.SECONDS), "bin/install did not finish");
        assertEquals(0, install.exitValue(), Files.readString(log));
        Path strata = prefix.resolve("bin/strata");
        assertEquals(NATIVE.getFileName(), strata.toRealPath().getFileName(), "the installed command is the front end itself");

        StrataProcess.Outcome tree = installed(strata, "run", "base", "--", "cat", daemon.mountpoint + "/etc/motd");
        assertEquals(0, tree.exit(), tree.out());
        assertEquals("base\n", tree.out());
        StrataProcess.Outcome version = installed(strata, "--version");
        assertEquals(0, version.exit(), version.out());
        assertTrue(version.out().startsWith("strata "), version.out());
        StrataProcess.Outcome usage = installed(strata, "run", "--bogus", "base", "--", "true");
        assertEquals(2, usage.exit(), usage.out());
        assertTrue(usage.out().contains("Unknown option: '--bogus'"), "the JVM CLI, beside the front end, names the option: " + usage.out());
    }

    private static StrataProcess.Outcome installed(Path strata, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(strata.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(daemon.work, "installed", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("STRATA_HOME", daemon.home.toString());
        pb.environment().remove("STRATA_FALLBACK");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        return new StrataProcess.Outcome(p.exitValue(), Files.readString(out), "");
    }

    @Test
    void theTreeSeesItsViewItsNameAndItsOrphansKeepItAlive() throws Exception {
        Path late = daemon.work.resolve("orphan-saw");
        StrataProcess.Outcome edited = run("run", "--edit", "--name", "native-edit", "base", "--", "sh", "-c",
                "echo changed > " + daemon.mountpoint + "/etc/motd; echo $STRATA_RUNTIME; "
                        + "(sleep 0.5; cat " + daemon.mountpoint + "/etc/motd > " + late + ") &");
        assertEquals(0, edited.exit(), edited.out());
        assertEquals("native-edit\n", edited.out());
        // the double-forked orphan still saw the runtime's scratch after its parent exited
        assertEquals("changed\n", Files.readString(late));
        assertTrue(!daemon.strata.ok("service", "status").out().contains("native-edit"), "the runtime outlived its tree");
    }

    @Test
    void aShellAndABranchExecRunInTheirRuntimes() throws Exception {
        Path in = daemon.work.resolve("shell.in");
        Files.writeString(in, "cat " + daemon.mountpoint + "/etc/motd; exit 4\n");
        Path out = daemon.work.resolve("shell.out");
        ProcessBuilder shell = strata("shell", "base").redirectInput(in.toFile()).redirectOutput(out.toFile());
        shell.environment().put("SHELL", "/bin/sh");
        Process p = shell.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(4, p.exitValue());
        assertEquals("base\n", Files.readString(out));

        daemon.strata.ok("run", "--durable", "--name", "to-branch", "base", "--", "sh", "-c", "echo from-runtime > " + daemon.mountpoint + "/b");
        daemon.strata.ok("snapshot", "create", "to-branch", "--name", "native-snap");
        daemon.strata.ok("branch", "create", "native-snap", "--name", "native-branch");
        StrataProcess.Outcome exec = run("branch", "exec", "native-branch", "--", "cat", daemon.mountpoint + "/b");
        assertEquals(0, exec.exit(), exec.out());
        assertEquals("from-runtime\n", exec.out());
    }

    @Test
    void commandsThatOnlyTalkToTheDaemonRunInItForTheCaller() throws Exception {
        StrataProcess.Outcome status = run("service", "status");
        assertEquals(0, status.exit(), status.out());
        assertTrue(status.out().startsWith("daemon pid " + daemon.daemonProcess().pid() + " serving " + daemon.mountpoint), status.out());
        // commit and diff inside a runtime act for the calling process: the front end, in the tree
        StrataProcess.Outcome inside = run("run", "--edit", "--name", "native-commit", "base", "--", "sh", "-c",
                "echo new > " + daemon.mountpoint + "/added; " + NATIVE + " diff && " + NATIVE + " commit --tag native-made -m 'from native'");
        assertEquals(0, inside.exit(), inside.out());
        assertTrue(inside.out().contains("+ /added") && inside.out().contains("strata: committed 1 entry "), inside.out());
        assertTrue(daemon.strata.ok("tags").out().contains("native-made"));
        StrataProcess.Outcome outside = run("diff");
        assertEquals(1, outside.exit());
        assertTrue(outside.out().contains("is in no runtime"), outside.out());
        StrataProcess.Outcome usage = run("snapshot", "create");
        assertEquals(2, usage.exit());
        assertTrue(usage.out().contains("Usage: strata snapshot create"), usage.out());
    }

    /** Runs a shell command line on a terminal 120 columns wide (script(1) gives it one); returns what the terminal showed. */
    private static StrataProcess.Outcome onTerminal(String commandLine) throws Exception {
        Path out = Files.createTempFile(daemon.work, "tty", ".out");
        ProcessBuilder pb = new ProcessBuilder("script", "-qec", "stty cols 120; " + commandLine, "/dev/null").redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("STRATA_HOME", daemon.home.toString());
        pb.environment().put("TERM", "xterm");
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), commandLine + " did not finish");
        return new StrataProcess.Outcome(p.exitValue(), Files.readString(out), "");
    }

    @Test
    void commitAndSnapshotDrawTheirWorkOnATerminalAndNothingInAPipe() throws Exception {
        // 1 GiB in 4 files: hashing it takes long enough for several readings of the daemon's meter
        assertEquals(0, run("run", "--durable", "--name", "heavy", "base", "--", "sh", "-c",
                "for i in 1 2 3 4; do head -c 256M /dev/zero > " + daemon.mountpoint + "/big$i || exit 1; done").exit());
        // the native front end: the daemon runs the command and sends its bar as it draws it
        StrataProcess.Outcome snapshot = onTerminal(NATIVE + " snapshot create heavy --name heavy-snap");
        assertEquals(0, snapshot.exit(), snapshot.out());
        assertTrue(snapshot.out().contains("snapshot 100%") && snapshot.out().contains("/1024MiB") && snapshot.out().contains(" 4/4 files"),
                snapshot.out());
        // the full CLI, from inside the runtime: it polls the daemon's meter itself
        String java = Path.of(System.getProperty("java.home"), "bin", "java") + " -cp '" + System.getProperty("java.class.path")
                + "' dev.strata.ops.Main";
        StrataProcess.Outcome commit = run("run", "--join", "heavy", "--", "sh", "-c", "script -qec \"stty cols 120; " + java
                + " commit -m heavy\" /dev/null");
        assertEquals(0, commit.exit(), commit.out());
        assertTrue(commit.out().contains("commit 100%") && commit.out().contains(" 4/4 files") && commit.out().contains("MiB/s"), commit.out());
        // in a pipe: the result, no bar
        assertEquals(0, run("run", "--join", "heavy", "--", "sh", "-c", "echo more > " + daemon.mountpoint + "/more").exit());
        StrataProcess.Outcome piped = run("snapshot", "create", "heavy", "--name", "heavy-snap-2");
        assertEquals(0, piped.exit(), piped.out());
        assertTrue(!piped.out().contains("%") && piped.out().contains("strata: snapshot heavy-snap-2 of heavy"), piped.out());
        daemon.strata.ok("snapshot", "delete", "heavy-snap");
        daemon.strata.ok("snapshot", "delete", "heavy-snap-2");
        daemon.strata.ok("runtime", "remove", "heavy");
    }

    @Test
    void everyListingAndStatusPrintsJsonThatParsesBack() throws Exception {
        daemon.strata.ok("run", "--durable", "--name", "json-src", "base", "--", "true");
        daemon.strata.ok("snapshot", "create", "json-src", "--name", "json-snap");
        daemon.strata.ok("branch", "create", "json-snap", "--name", "json-branch");
        com.google.gson.JsonObject status = parse("service", "status", "--json");
        assertEquals(daemon.mountpoint.toString(), status.get("mountpoint").getAsString());
        assertTrue(status.get("runtimes").isJsonArray());
        com.google.gson.JsonObject runtimes = parse("runtime", "list", "--json");
        assertTrue(runtimes.getAsJsonArray("runtimes").toString().contains("\"name\":\"json-src\""), runtimes.toString());
        assertEquals("json-src", parse("runtime", "info", "json-src", "--json").get("name").getAsString());
        assertTrue(parse("snapshot", "list", "--json").getAsJsonArray("snapshots").toString().contains("\"name\":\"json-snap\""));
        com.google.gson.JsonObject branches = parse("branch", "list", "--json");
        assertEquals("json-snap", branches.getAsJsonArray("branches").get(0).getAsJsonObject().get("snapshot").getAsString());
        com.google.gson.JsonObject tags = parse("tags", "--json");
        assertEquals("base", tags.getAsJsonArray("tags").get(0).getAsJsonObject().get("name").getAsString());
        com.google.gson.JsonObject log = parse("log", "base", "--json");
        assertEquals("base~0", log.getAsJsonArray("history").get(0).getAsJsonObject().get("ref").getAsString());
        com.google.gson.JsonObject info = parse("info", "base", "--json");
        assertEquals("layer", info.get("kind").getAsString());
        assertEquals(2, info.get("entries").getAsInt());
        daemon.strata.ok("branch", "delete", "json-branch");
        daemon.strata.ok("snapshot", "delete", "json-snap");
        daemon.strata.ok("runtime", "remove", "json-src");
    }

    private static com.google.gson.JsonObject parse(String... args) throws Exception {
        return com.google.gson.JsonParser.parseString(daemon.strata.ok(args).out()).getAsJsonObject();
    }

    @Test
    void fiftyTreesAtOnceAllRunAndAllEnd() throws Exception {
        Path go = daemon.work.resolve("go");
        List<Process> trees = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            // a slow poll: fifty shells forking a sleep every 50 ms would take both cores from the daemon
            trees.add(strata("run", "base", "--", "sh", "-c", "while [ ! -e " + go + " ]; do sleep 0.5; done; cat " + daemon.mountpoint
                    + "/etc/motd").redirectOutput(daemon.work.resolve("tree-" + i + ".out").toFile()).start());
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (runningTrees() < 50) {
                assertTrue(System.nanoTime() < deadline, "only " + runningTrees() + " of 50 runtimes started");
                Thread.sleep(100);
            }
            long clientKb = 0;
            for (Process p : trees) {
                clientKb += rssKb(p.pid());
            }
            System.out.printf("50 trees: native clients %,d KiB in all (%,d KiB each), daemon %,d KiB%n", clientKb, clientKb / 50,
                    rssKb(daemon.daemonProcess().pid()));
            assertTrue(clientKb / 50 < 5 * 1024, "a client costs " + clientKb / 50 + " KiB");
            Files.createFile(go);
            for (int i = 0; i < trees.size(); i++) {
                assertEquals(0, DaemonFixture.await(trees.get(i)));
                assertEquals("base\n", Files.readString(daemon.work.resolve("tree-" + i + ".out")));
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runningTrees() > 0) {
                assertTrue(System.nanoTime() < deadline, runningTrees() + " runtimes outlived their trees");
                Thread.sleep(100);
            }
        } finally {
            trees.forEach(Process::destroyForcibly);
        }
    }

    /** Runtimes the daemon lists as running, asked over its control socket (a CLI's JVM per poll would cost seconds here). */
    private static int runningTrees() throws Exception {
        try (dev.strata.ops.control.ControlClient client = daemon.client()) {
            return (int) client.status(dev.strata.protocol.StatusRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .getRuntimesList().stream().filter(r -> r.getName().startsWith("run-")).count();
        }
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
