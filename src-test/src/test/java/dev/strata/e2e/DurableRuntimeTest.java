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
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (!Files.exists(ready)) {
                    if (!run.isAlive() || System.nanoTime() > deadline) {
                        throw new AssertionError("the runtime did not get ready: " + Files.readString(daemon.work.resolve("durable.out")));
                    }
                    Thread.sleep(50);
                }
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
