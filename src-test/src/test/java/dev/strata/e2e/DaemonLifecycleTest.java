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
