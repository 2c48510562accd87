package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One mount, many views: real daemon, real kernel mount, real process trees. */
class MountTest {
    static DaemonFixture daemon;
    static Path mnt;
    static Path probes;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = new DaemonFixture();
        mnt = daemon.mountpoint;
        daemon.layer("view-a", "data/file", "content of view A", "data/only-a", "a");
        daemon.layer("view-b", "data/file", "content of view B, longer", "data/only-b", "b");
        probes = Files.createDirectories(daemon.work.resolve("probes"));
        for (String probe : List.of("mmap_probe.py", "ThreadProbe.java")) {
            try (InputStream in = MountTest.class.getResourceAsStream("/probes/" + probe)) {
                Files.copy(in, probes.resolve(probe));
            }
        }
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Path out(String name) {
        return daemon.work.resolve(name + ".out");
    }

    private static List<String> lines(Path p) throws Exception {
        return Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList();
    }

    @Test
    void twoConcurrentRunsSeeDifferentContentAtTheSamePath() throws Exception {
        String script = "cat " + mnt + "/data/file; echo; sleep 1; cat " + mnt + "/data/file; echo; ls " + mnt + "/data";
        Process a = daemon.run("view-a", script, out("concurrent-a"));
        Process b = daemon.run("view-b", script, out("concurrent-b"));
        assertEquals(0, DaemonFixture.await(a));
        assertEquals(0, DaemonFixture.await(b));
        assertEquals(List.of("content of view A", "content of view A", "file", "only-a"), lines(out("concurrent-a")));
        assertEquals(List.of("content of view B, longer", "content of view B, longer", "file", "only-b"), lines(out("concurrent-b")));
    }

    @Test
    void aProcessOutsideEveryRuntimeSeesAnEmptyMount() throws Exception {
        try (Stream<Path> entries = Files.list(mnt)) {
            assertEquals(0, entries.count());
        }
        assertFalse(Files.exists(mnt.resolve("data/file")));
    }

    @Test
    void childrenGrandchildrenAndThreadsInheritTheView() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "sh -c 'sh -c \"cat " + mnt + "/data/file; echo\"'; " + java + " " + probes.resolve("ThreadProbe.java") + " " + mnt + "/data/file";
        assertEquals(0, DaemonFixture.await(daemon.run("view-a", script, out("inherit"))));
        List<String> seen = lines(out("inherit"));
        assertEquals("content of view A", seen.get(0));
        assertEquals(4, seen.stream().filter(l -> l.equals("thread content of view A")).count(), seen.toString());
    }

    @Test
    void aDaemonThatDoubleForksKeepsTheView() throws Exception {
        Path result = daemon.work.resolve("orphan-result");
        // the grandchild touches the mount only after its parent is gone and it was reparented
        String script = "( (sleep 1; cat " + mnt + "/data/file > " + result + ") & ); exit 0";
        assertEquals(0, DaemonFixture.await(daemon.run("view-b", script, out("orphan"))));
        assertEquals("content of view B, longer", Files.readString(result).trim(), "run waits for the orphan, which kept view B");
    }

    @Test
    void noLeakThroughThePageCacheOrAPrivateMapping() throws Exception {
        Path ready = daemon.work.resolve("mmap-ready");
        Path go = daemon.work.resolve("mmap-go");
        Process a = daemon.run("view-a", "python3 " + probes.resolve("mmap_probe.py") + " " + mnt + "/data/file " + ready + " " + go,
                out("mmap-a"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ready) && a.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(ready), "the probe did not map the file: " + Files.readString(out("mmap-a")));
        Process b = daemon.run("view-b", "cat " + mnt + "/data/file; echo; touch " + go, out("mmap-b"));
        assertEquals(0, DaemonFixture.await(b));
        assertEquals(0, DaemonFixture.await(a));
        assertEquals(List.of("content of view B, longer"), lines(out("mmap-b")));
        for (String line : lines(out("mmap-a"))) {
            assertTrue(line.endsWith(" content of view A"), "view A saw: " + line);
        }
        assertEquals(5, lines(out("mmap-a")).size());
    }

    @Test
    void twoDifferentBinariesAtTheSamePathRunConcurrently() throws Exception {
        Path lsSrc = Files.createDirectories(daemon.work.resolve("bin-ls/bin"));
        Path echoSrc = Files.createDirectories(daemon.work.resolve("bin-echo/bin"));
        Files.copy(Path.of("/usr/bin/ls"), lsSrc.resolve("prog"));
        Files.copy(Path.of("/usr/bin/echo"), echoSrc.resolve("prog"));
        daemon.strata.ok("import", lsSrc.getParent().toString(), "--tag", "prog-ls");
        daemon.strata.ok("import", echoSrc.getParent().toString(), "--tag", "prog-echo");
        String loop = "for i in $(seq 15); do " + mnt + "/bin/prog --version | head -1; done";
        Process ls = daemon.run("prog-ls", loop, out("prog-ls"));
        Process echo = daemon.run("prog-echo", loop, out("prog-echo"));
        assertEquals(0, DaemonFixture.await(ls));
        assertEquals(0, DaemonFixture.await(echo));
        List<String> lsLines = lines(out("prog-ls"));
        List<String> echoLines = lines(out("prog-echo"));
        assertEquals(15, lsLines.size(), lsLines.toString());
        assertTrue(lsLines.stream().allMatch(l -> l.startsWith("ls ")), lsLines.toString());
        assertTrue(echoLines.stream().allMatch(l -> l.startsWith("echo ")), echoLines.toString());
    }

    @Test
    void theExitCodeComesThroughAndTheRuntimeIsGoneAfterwards() throws Exception {
        assertEquals(42, DaemonFixture.await(daemon.run("view-a", "exit 42", out("exit"))));
        assertFalse(daemon.strata.ok("service", "status").out().contains("view-a"), "no runtime is left");
    }

    @Test
    void mountGivesAnExistingTreeAViewUntilItsRootExits() throws Exception {
        Path seen = daemon.work.resolve("mounted-tree-saw");
        Path go = daemon.work.resolve("mounted-tree-go");
        // a tree that starts a child reading the mount only after the mount was made
        Process root = new ProcessBuilder("sh", "-c", "while [ ! -e " + go + " ]; do sleep 0.05; done; cat " + mnt
                + "/data/only-b > " + seen + "; exec sleep 30").start();
        try {
            String pid = Long.toString(root.pid());
            assertEquals("tree-" + pid, daemon.strata.ok("mount", "--pid", pid, "--name", "tree-" + pid, "view-b").out().trim());
            StrataProcess.Outcome again = daemon.strata.run("mount", "--pid", pid, "view-a");
            assertEquals(1, again.exit());
            assertTrue(again.err().contains("already"), again.err());
            Files.createFile(go);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((!Files.exists(seen) || Files.size(seen) == 0) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("b", Files.readString(seen), "the tree's later child reads through its view");
            assertTrue(daemon.strata.ok("service", "status").out().contains("tree-" + pid));
            root.destroy();
            root.waitFor();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (daemon.strata.ok("service", "status").out().contains("tree-" + pid) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertFalse(daemon.strata.ok("service", "status").out().contains("tree-" + pid), "the runtime ended with its root");
        } finally {
            root.destroyForcibly();
        }
    }

    @Test
    void aShellRunsInTheRuntimeAndReadsItsView() throws Exception {
        StrataProcess.Outcome shell = daemon.strata.runWithInput("cat " + mnt + "/data/file; echo; echo runtime=$STRATA_RUNTIME; exit 3\n",
                "shell", "--name", "shell-test", "view-b");
        assertEquals(3, shell.exit(), shell.err());
        assertEquals(List.of("content of view B, longer", "runtime=shell-test"), shell.out().lines().toList());
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        StrataProcess.Outcome unknown = daemon.strata.run("run", "no-such-layer", "--", "true");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("unknown ref 'no-such-layer'"), unknown.err());
        StrataProcess.Outcome noPid = daemon.strata.run("mount", "--pid", "999999999", "view-a");
        assertEquals(2, noPid.exit(), "a pid that names no process is a usage error (the daemon decides)");
        assertTrue(noPid.err().contains("no process with pid 999999999"), noPid.err());
        StrataProcess.Outcome badName = daemon.strata.run("run", "--name", "../x", "view-a", "--", "true");
        assertEquals(2, badName.exit(), "a malformed name is a usage error");
        assertTrue(badName.err().contains("invalid runtime name"), badName.err());
        StrataProcess.Outcome noRuntime = daemon.strata.run("unmount", "never-was");
        assertEquals(1, noRuntime.exit());
        assertTrue(noRuntime.err().contains("no runtime named 'never-was'"), noRuntime.err());
    }

    @Test
    void withoutADaemonTheCliSaysHowToStartOne() throws Exception {
        StrataProcess other = new StrataProcess(daemon.work.resolve("no-daemon-home"));
        StrataProcess.Outcome o = other.run("run", "view-a", "--", "true");
        assertEquals(1, o.exit());
        assertTrue(o.err().contains("strata service start"), o.err());
    }
}
