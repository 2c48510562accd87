package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A signal reaches a process waiting on the mount: the kernel sends INTERRUPT, and a request that
 * only reads is answered EINTR at once rather than when its slow answer comes (here every answer is
 * held back 10 s, as a blob fetched from a far remote would be). A killed process goes at once too,
 * and the daemon keeps its counts straight when the held-back answers arrive after all.
 */
class InterruptTest {
    @Test
    void aSignalEndsAWaitOnASlowAnswer() throws Exception {
        try (DaemonFixture daemon = DaemonFixture.withConfig("", Map.of("STRATA_TEST_ANSWER_DELAY_US", "10000000"))) {
            daemon.layer("base", "etc/motd", "hello\n");
            String script = String.join("\n",
                    "import os, signal, sys, time",
                    "class Alarm(Exception): pass",
                    "def ring(*_): raise Alarm()",
                    "signal.signal(signal.SIGALRM, ring)",
                    "signal.setitimer(signal.ITIMER_REAL, 0.5)",
                    "started = time.monotonic()",
                    "try:",
                    "    os.stat(sys.argv[1] + '/etc/motd')",
                    "    print('answered after %.1f s' % (time.monotonic() - started))",
                    "except Alarm:",
                    "    print('interrupted after %.1f s' % (time.monotonic() - started))");
            Path probe = daemon.work.resolve("probe.py");
            Files.writeString(probe, script);
            Path out = daemon.work.resolve("probe.out");
            Process p = daemon.run("base", "/usr/bin/python3 " + probe + " " + daemon.mountpoint, out);
            assertEquals(0, DaemonFixture.await(p), Files.readString(out));
            String said = Files.readString(out).trim();
            assertTrue(said.startsWith("interrupted after"), said);
            double seconds = Double.parseDouble(said.replaceAll("[^0-9.]", ""));
            assertTrue(seconds < 5, "the stat ended with its signal, not with its answer 10 s later: " + said);

            // SIGKILL of a process stuck in a slow open: it is gone long before the answer would come
            Path catOut = daemon.work.resolve("cat.out");
            Process cat = daemon.run("base", "exec cat " + daemon.mountpoint + "/etc/motd", catOut);
            ProcessHandle stuck = null;
            for (int i = 0; i < 300 && stuck == null; i++) {
                Thread.sleep(100);
                stuck = cat.descendants().filter(h -> h.info().command().orElse("").endsWith("/cat")).findFirst().orElse(null);
            }
            assertTrue(stuck != null, "cat runs in its runtime");
            Thread.sleep(500); // and waits on its open
            long killed = System.nanoTime();
            stuck.destroyForcibly();
            assertTrue(stuck.onExit().get(5, TimeUnit.SECONDS) != null);
            assertTrue(System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(5), "a killed reader goes at once");
            DaemonFixture.await(cat);

            // the held-back answers arrive later and are given back: the daemon still answers and unmounts cleanly
            Thread.sleep(11_000);
            assertTrue(daemon.strata.ok("service", "status").out().contains("serving"));
        }
    }
}
