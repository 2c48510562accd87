package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A daemon without FUSE (forced with --no-fuse, as where /dev/fuse is missing or macFUSE is not
 * approved) still runs commands: over a rendered copy of their view, with a one-line warning, and
 * `service status` says so; nothing is mounted, work that needs the live mount is refused by name,
 * and each copy is gone when its runtime ends.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DegradedModeTest {

    @Test
    void commandsRunOverARenderedCopyOfTheirView() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture("--no-fuse")) {
            assertFalse(daemon.mounted(), "nothing is mounted");
            assertTrue(daemon.log().contains("no FUSE (turned off with --no-fuse)"), daemon.log());
            daemon.layer("base", "etc/motd", "from the layer\n", "bin/tool", "#!/bin/sh\necho tool\n");

            // the full CLI: the tree starts in the copy, which holds the layer's files
            StrataProcess.Outcome java = daemon.strata.run("run", "--name", "one", "base", "--", "sh", "-c",
                    "cat etc/motd; echo \"$STRATA_VIEW\"; pwd");
            assertEquals(0, java.exit(), java.err());
            Path copy = daemon.mountpoint.resolve("one");
            assertEquals("from the layer\n" + copy + "\n" + copy + "\n", java.out());
            assertTrue(java.err().contains("strata: no FUSE (turned off with --no-fuse): running over a rendered copy of the view at " + copy),
                    java.err());
            assertEquals(1, java.err().lines().count(), "one line of warning: " + java.err());
            assertFalse(Files.exists(copy), "the copy goes with its runtime");

            // the native front end, as `bin/strata run` starts trees
            Path out = Files.createTempFile(daemon.work, "native", ".out");
            Process p = nativeRun(daemon, out, "run", "--edit", "--name", "two", "base", "--", "sh", "-c",
                    "cat etc/motd; echo changed > etc/motd; cat etc/motd; strata_view=$STRATA_VIEW; echo ${strata_view##*/}");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String nativeOut = Files.readString(out);
            assertEquals(0, p.exitValue(), nativeOut);
            assertTrue(nativeOut.startsWith("strata: no FUSE"), nativeOut);
            assertTrue(nativeOut.endsWith("from the layer\nchanged\ntwo\n"), nativeOut);

            // a tree that stays: status reports the mode and the runtime; work that needs the live mount is refused by name
            Process held = daemon.strata.startWithOutput(daemon.work.resolve("held.out"), "run", "--edit", "--name", "held", "base", "--",
                    "sleep", "60");
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.isDirectory(daemon.mountpoint.resolve("held")) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                String status = daemon.strata.ok("service", "status").out();
                assertTrue(status.contains("mode: degraded: turned off with --no-fuse"), status);
                assertTrue(status.contains("held"), status);
                assertTrue(daemon.strata.ok("service", "status", "--json").out().contains("\"mode\": \"degraded: turned off with --no-fuse\""));
                StrataProcess.Outcome snapshot = daemon.strata.run("snapshot", "create", "held", "--name", "s1");
                assertEquals(1, snapshot.exit(), snapshot.out());
                assertTrue(snapshot.err().contains("a snapshot needs the live mount, and this daemon runs without FUSE"), snapshot.err());
                StrataProcess.Outcome durable = daemon.strata.run("run", "--durable", "--name", "kept", "base", "--", "true");
                assertEquals(1, durable.exit());
                assertTrue(durable.err().contains("a durable runtime needs the live mount"), durable.err());
            } finally {
                held.destroy();
                held.waitFor(30, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.exists(daemon.mountpoint.resolve("held")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(Files.exists(daemon.mountpoint.resolve("held")), "a tree that ends takes its runtime's copy with it");
        }
    }

    private static Process nativeRun(DaemonFixture daemon, Path out, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(NativeClientTest.NATIVE.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("STRATA_HOME", daemon.home.toString());
        pb.environment().remove("STRATA_FALLBACK");
        return pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }
}
