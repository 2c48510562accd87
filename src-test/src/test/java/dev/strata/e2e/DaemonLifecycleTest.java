package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Start, stop, SIGTERM, SIGKILL and the stale mount a killed daemon leaves. */
class DaemonLifecycleTest {
    @Test
    void aKilledDaemonsStaleMountIsClearedByTheNextOne() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            daemon.layer("base", "hello", "world");
            daemon.daemonProcess().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertTrue(daemon.mounted(), "SIGKILL leaves the mount behind");
            daemon.start();
            Path out = daemon.work.resolve("after-restart.out");
            assertEquals(0, DaemonFixture.await(daemon.run("base", "cat " + daemon.mountpoint + "/hello", out)));
            assertEquals(List.of("world"), java.nio.file.Files.readAllLines(out));
        }
    }

    @Test
    void aSecondDaemonOnALiveMountIsRefusedAndTheFirstKeepsServing() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            daemon.layer("base", "hello", "world");
            java.nio.file.Path otherHome = daemon.work.resolve("other-home");
            ProcessBuilder second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "dev.strata.ops.Main", "service", "start", "--mountpoint", daemon.mountpoint.toString())
                    .redirectErrorStream(true).redirectOutput(daemon.work.resolve("second.log").toFile());
            second.environment().put("STRATA_HOME", otherHome.toString());
            Process p = second.start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the second daemon did not give up");
            assertEquals(1, p.exitValue());
            String log = java.nio.file.Files.readString(daemon.work.resolve("second.log"));
            assertTrue(log.contains("a live file system (fuse.strata") && log.contains("is not taken over"), log);
            assertTrue(daemon.mounted());
            Path out = daemon.work.resolve("still-serving.out");
            assertEquals(0, DaemonFixture.await(daemon.run("base", "cat " + daemon.mountpoint + "/hello", out)));
            assertEquals(List.of("world"), java.nio.file.Files.readAllLines(out));
        }
    }

    @Test
    void sigtermUnmountsAndStops() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            daemon.daemonProcess().destroy(); // SIGTERM
            assertTrue(daemon.daemonProcess().waitFor(30, TimeUnit.SECONDS));
            assertFalse(daemon.mounted());
            int exit = daemon.daemonProcess().exitValue();
            assertTrue(exit == 0 || exit == 143, "a clean stop, or the JVM's 128+SIGTERM: " + exit);
        }
    }

    @Test
    void serviceStopUnmountsAndStops() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture()) {
            assertTrue(daemon.strata.ok("service", "status").out().contains("serving " + daemon.mountpoint));
            daemon.strata.ok("service", "stop");
            assertTrue(daemon.daemonProcess().waitFor(30, TimeUnit.SECONDS));
            assertFalse(daemon.mounted());
            assertEquals(1, daemon.strata.run("service", "status").exit());
        }
    }
}
