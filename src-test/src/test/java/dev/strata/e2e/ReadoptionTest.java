package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A daemon killed and restarted while runtimes run gives their process trees their views and scratches back. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReadoptionTest {
    @Test
    void aSigkilledDaemonsRunningTreesKeepTheirScratchAndEveryByteWritten() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            daemon.layer("base", "etc/motd", "base\n");
            Path work = daemon.work;
            Path mnt = daemon.mountpoint;
            // a non-durable editable runtime whose process writes through one open fd until told to stop,
            // counting the writes that succeeded; then it opens files anew
            String writer = "exec 3>>" + mnt + "/log; i=0; while [ ! -e " + work + "/stop ]; do i=$((i+1)); "
                    + "if echo line $i >&3 2>/dev/null; then echo $i > " + work + "/count; fi; sleep 0.01; done; "
                    + "cat " + mnt + "/log > " + work + "/seen; cat " + mnt + "/etc/motd > " + work + "/motd";
            Process edit = daemon.strata.startWithOutput(work.resolve("edit.log"), "run", "--edit", "--name", "keep", "base", "--",
                    "sh", "-c", writer);
            Path idle = work.resolve("idle.ready");
            Process readOnly = daemon.strata.startWithOutput(work.resolve("ro.log"), "run", "--name", "looker", "base", "--", "sh", "-c",
                    "touch " + idle + "; while [ ! -e " + work + "/stop ]; do sleep 0.05; done; cat " + mnt + "/etc/motd > " + work + "/ro-motd");
            awaitCount(work.resolve("count"), 50, edit);
            while (!Files.exists(idle)) {
                Thread.sleep(20);
            }

            daemon.daemonProcess().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(300); // the tree goes on writing into the dead mount meanwhile
            daemon.start();
            String status = daemon.strata.ok("service", "status").out();
            assertTrue(status.contains("keep") && status.contains("looker"), "not re-adopted: " + status + daemon.log());

            Files.createFile(work.resolve("stop"));
            assertEquals(0, DaemonFixture.await(edit), Files.readString(work.resolve("edit.log")));
            assertEquals(0, DaemonFixture.await(readOnly), Files.readString(work.resolve("ro.log")));
            int written = Integer.parseInt(Files.readString(work.resolve("count")).trim());
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= written; i++) {
                expected.add("line " + i);
            }
            List<String> seen = Files.readAllLines(work.resolve("seen"));
            assertEquals(expected, seen.subList(0, Math.min(seen.size(), written)), "lost writes");
            assertEquals(written, seen.size(), "more lines than the writer counted");
            assertEquals("base\n", Files.readString(work.resolve("motd")));
            assertEquals("base\n", Files.readString(work.resolve("ro-motd")));
            // both runtimes end with their trees, and leave nothing behind
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.exists(daemon.home.resolve("runtimes/keep")) || Files.exists(daemon.home.resolve("runtimes/looker"))) {
                assertTrue(System.nanoTime() < deadline, "the ended runtimes' directories stay");
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aRuntimeWhoseTreeEndedWhileNoDaemonRanIsCleanedUp() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            daemon.layer("base", "etc/motd", "base\n");
            Path ready = daemon.work.resolve("ready");
            Process edit = daemon.strata.startWithOutput(daemon.work.resolve("edit.log"), "run", "--edit", "--name", "gone", "base", "--",
                    "sh", "-c", "echo x > " + daemon.mountpoint + "/x; touch " + ready + "; exec sleep 300");
            while (!Files.exists(ready)) {
                assertTrue(edit.isAlive(), Files.readString(daemon.work.resolve("edit.log")));
                Thread.sleep(20);
            }
            daemon.daemonProcess().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            edit.descendants().forEach(ProcessHandle::destroyForcibly);
            edit.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertTrue(Files.exists(daemon.home.resolve("runtimes/gone")));
            daemon.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.exists(daemon.home.resolve("runtimes/gone"))) {
                assertTrue(System.nanoTime() < deadline, "an ended runtime's scratch stays");
                Thread.sleep(50);
            }
        }
    }

    private static void awaitCount(Path count, int least, Process writer) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (Files.exists(count)) {
                String text = Files.readString(count).trim();
                if (!text.isEmpty() && Integer.parseInt(text) >= least) {
                    return;
                }
            }
            assertTrue(writer.isAlive() && System.nanoTime() < deadline, "the writer did not write");
            Thread.sleep(20);
        }
    }
}
