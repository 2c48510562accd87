package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A durable editable runtime outlives its processes and a daemon killed with SIGKILL. */
class DurableRuntimeTest {
    @Test
    void aDurableRuntimeSurvivesADaemonKilledWithSigkill() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            Path mnt = daemon.mountpoint;
            daemon.layer("base", "lower/file", "lower\n", "lower/gone", "x\n");
            Path sums = daemon.work.resolve("sums");
            Path ready = daemon.work.resolve("ready");
            String script = "cd " + mnt + " && for i in $(seq 1 200); do head -c $((i * 97)) /dev/urandom > f$i; done"
                    + " && mkdir -p a/b && echo nested > a/b/c && rm lower/gone && mv lower moved && chmod 600 f1"
                    + " && dd if=/dev/urandom of=big bs=1M count=8 2>/dev/null"
                    + " && sha256sum f* big a/b/c > " + sums + " && touch " + ready + " && exec sleep 600";
            Process run = daemon.strata.startWithOutput(daemon.work.resolve("durable.out"), "run", "--durable", "--name", "keep",
                    "base", "--", "sh", "-c", script);
            try {
                awaitReady(run, ready, daemon.work.resolve("durable.out"));
                daemon.daemonProcess().destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL, files closed, runtime running
            } finally {
                run.descendants().forEach(ProcessHandle::destroyForcibly);
                run.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }

            daemon.start();
            StrataProcess.Outcome joined = daemon.strata.run("run", "--join", "keep", "--", "sh", "-c",
                    "cd " + mnt + " && sha256sum -c --quiet " + sums + " && echo sums-ok && stat -c %a f1 && cat moved/file"
                            + " && test ! -e moved/gone && test ! -e lower && echo layout-ok");
            assertEquals(0, joined.exit(), joined.out() + joined.err() + daemon.log());
            assertTrue(joined.out().contains("sums-ok\n600\nlower\nlayout-ok"), joined.out());

            StrataProcess.Outcome again = daemon.strata.run("run", "--durable", "--name", "keep", "base", "--", "true");
            assertNotEquals(0, again.exit());
            assertTrue(again.err().contains("join it with --join keep"), again.err());
            StrataProcess.Outcome unknown = daemon.strata.run("run", "--join", "nosuch", "--", "true");
            assertNotEquals(0, unknown.exit());
            assertTrue(unknown.err().contains("no runtime or branch named 'nosuch' to join"), unknown.err());
        }
    }

    /**
     * A lazy copy-up still filling when the daemon is SIGKILLed finishes after the restart, from its
     * map, without undoing what the runtime wrote (small chunks make the fill outlast the kill).
     */
    @Test
    void aCopyUpStillFillingWhenTheDaemonIsKilledFinishesAfterTheRestart() throws Exception {
        try (DaemonFixture daemon = DaemonFixture.withConfig(null, java.util.Map.of("JAVA_TOOL_OPTIONS", "-Dstrata.copy-up.chunk=1024"))) {
            Path mnt = daemon.mountpoint;
            byte[] content = new byte[64 << 20];
            new java.util.Random(1).nextBytes(content);
            Path src = Files.createDirectories(daemon.work.resolve("src-big/data"));
            Files.write(src.resolve("big"), content);
            daemon.strata.ok("import", src.getParent().toString(), "--tag", "big");
            Path ready = daemon.work.resolve("ready");
            String script = "cd " + mnt + " && printf MINE | dd of=data/big bs=1 seek=33554432 conv=notrunc status=none"
                    + " && printf TAIL >> data/big && touch " + ready + " && exec sleep 600";
            Process run = daemon.strata.startWithOutput(daemon.work.resolve("fill.out"), "run", "--durable", "--name", "fill", "big",
                    "--", "sh", "-c", script);
            boolean filling;
            try {
                awaitReady(run, ready, daemon.work.resolve("fill.out"));
                daemon.daemonProcess().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                try (var walk = Files.walk(daemon.home)) {
                    filling = walk.anyMatch(p -> p.getParent() != null && p.getParent().getFileName().toString().equals("fill"));
                }
            } finally {
                run.descendants().forEach(ProcessHandle::destroyForcibly);
                run.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            assertTrue(filling, "the copy-up was still filling when the daemon died");

            daemon.start();
            StrataProcess.Outcome joined = daemon.strata.run("run", "--join", "fill", "--", "sha256sum", mnt + "/data/big");
            assertEquals(0, joined.exit(), joined.out() + joined.err() + daemon.log());
            byte[] expected = java.util.Arrays.copyOf(content, content.length + 4);
            System.arraycopy("MINE".getBytes(), 0, expected, 32 << 20, 4);
            System.arraycopy("TAIL".getBytes(), 0, expected, content.length, 4);
            String sum = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(expected));
            assertTrue(joined.out().startsWith(sum), joined.out() + " is not " + sum);
        }
    }

    /** Waits for the runtime's script to touch {@code ready}. */
    private static void awaitReady(Process run, Path ready, Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(ready)) {
            if (!run.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the runtime did not get ready: " + Files.readString(output));
            }
            Thread.sleep(10);
        }
    }

    @Test
    void snapshotsAndBranchesSurviveADaemonRestart() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            Path mnt = daemon.mountpoint;
            daemon.layer("base", "file", "base\n");
            daemon.strata.ok("run", "--durable", "--name", "origin", "base", "--", "sh", "-c", "echo origin > " + mnt + "/file");
            daemon.strata.ok("snapshot", "create", "origin", "--name", "kept");
            daemon.strata.ok("branch", "create", "kept", "--name", "work");
            daemon.strata.ok("branch", "exec", "work", "--", "sh", "-c", "echo branch > " + mnt + "/file");
            daemon.strata.ok("clean");
            daemon.strata.ok("service", "stop");
            daemon.daemonProcess().waitFor(30, TimeUnit.SECONDS);

            daemon.start();
            assertTrue(daemon.strata.ok("snapshot", "list").out().contains("kept"), daemon.log());
            assertEquals("branch\n", daemon.strata.ok("branch", "exec", "work", "--", "cat", mnt + "/file").out());
            StrataProcess.Outcome refused = daemon.strata.run("snapshot", "delete", "kept");
            assertTrue(refused.err().contains("base of branch work"), refused.err());
            daemon.strata.ok("branch", "create", "kept", "--name", "fresh");
            assertEquals("origin\n", daemon.strata.ok("branch", "exec", "fresh", "--", "cat", mnt + "/file").out(),
                    "the snapshot's layers outlived a clean and a restart");
        }
    }
}
