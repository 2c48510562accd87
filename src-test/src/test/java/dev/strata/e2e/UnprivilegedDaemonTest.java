package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.persistence.Renderer;
import java.io.File;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A user without root runs their own daemon on their own mount point: fusermount3 mounts it for that
 * user alone (no allow_other: even root is refused), two trees run isolated at once, the user stops
 * it, and no root-owned file is left in their home.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnprivilegedDaemonTest {
    private static final String NOBODY = "65534";

    @Test
    void aUserMountsServesAndStopsTheirOwnDaemon() throws Exception {
        Path work = Files.createTempDirectory("strata-unprivileged-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = work.resolve("home");
        Path mnt = work.resolve("home/mnt");
        Process daemon = null;
        try {
            run(List.of(Path.of("../bin/install").toAbsolutePath().normalize().toString(), "--no-build", work.resolve("prefix").toString()), 0);
            Path strata = work.resolve("prefix/bin/strata");
            Files.createDirectories(mnt);
            Files.createDirectories(home.resolve("src/etc"));
            Files.writeString(home.resolve("src/etc/motd"), "mine\n");
            run(List.of("chown", "-R", NOBODY + ":" + NOBODY, home.toString()), 0);

            // a killed daemon leaves a dead mount; the next one, of the same user, clears it (fusermount3 -u) and serves
            daemon = start(home, strata, mnt, work.resolve("killed.log"));
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertThrows(java.nio.file.FileSystemException.class, () -> Files.readAttributes(mnt, "unix:ino"), "a dead mount answers ENOTCONN");
            daemon = start(home, strata, mnt, work.resolve("daemon.log"));
            assertTrue(Files.readString(work.resolve("daemon.log")).contains("clearing a dead FUSE mount"), Files.readString(work.resolve("daemon.log")));
            String mount = Files.readAllLines(Path.of("/proc/self/mounts")).stream().filter(l -> l.contains(" " + mnt + " ")).findFirst().orElse("");
            assertTrue(mount.contains("fuse.strata") && mount.contains("user_id=" + NOBODY) && !mount.contains("allow_other"), mount);
            assertTrue(Files.readString(work.resolve("daemon.log")).contains("passthrough false"), "passthrough needs CAP_SYS_ADMIN");

            assertEquals(0, run(asNobody(home, strata.toString(), "import", home.resolve("src").toString(), "--tag", "base"), 0).exit());
            StrataProcess.Outcome tree = run(asNobody(home, strata.toString(), "run", "--edit", "base", "--", "sh", "-c",
                    "cat " + mnt + "/etc/motd; echo added > " + mnt + "/etc/new; cat " + mnt + "/etc/new"), 0);
            assertEquals("mine\nadded\n", tree.out());
            // two trees at once, each in its own editable runtime: neither sees what the other writes
            Path sync = Files.createDirectories(home.resolve("sync"));
            run(List.of("chown", NOBODY + ":" + NOBODY, sync.toString()), 0);
            Process a = asNobody(home, strata.toString(), "run", "--edit", "base", "--", "sh", "-c",
                    "echo a > " + mnt + "/etc/mine && touch " + sync + "/a-wrote; while [ ! -e " + sync + "/b-looked ]; do sleep 0.05; done; "
                            + "cat " + mnt + "/etc/mine").start();
            Process b = asNobody(home, strata.toString(), "run", "--edit", "base", "--", "sh", "-c",
                    "while [ ! -e " + sync + "/a-wrote ]; do sleep 0.05; done; cat " + mnt + "/etc/motd; cat " + mnt + "/etc/mine 2>/dev/null || echo absent; "
                            + "touch " + sync + "/b-looked").start();
            assertTrue(a.waitFor(60, TimeUnit.SECONDS) && b.waitFor(60, TimeUnit.SECONDS), "the two trees did not finish");
            assertEquals("a\n", new String(a.getInputStream().readAllBytes()), "tree A reads its own file");
            assertEquals("mine\nabsent\n", new String(b.getInputStream().readAllBytes()), "tree B sees the layer, not tree A's file");
            assertThrows(AccessDeniedException.class, () -> Files.list(mnt).close(), "the mount is its user's alone");
            String status = run(asNobody(home, strata.toString(), "service", "status"), 0).out();
            assertTrue(status.contains("passthrough off, unprivileged: the mount is uid " + NOBODY + "'s alone"), status);

            StrataProcess.Outcome stopped = run(asNobody(home, strata.toString(), "service", "stop"), 0);
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon did not exit: " + stopped.out());
            assertTrue(Files.readAllLines(Path.of("/proc/self/mounts")).stream().noneMatch(l -> l.contains(" " + mnt + " ")), "still mounted");
            try (var files = Files.walk(home)) {
                List<Path> rootOwned = files.filter(f -> {
                    try {
                        return (int) Files.getAttribute(f, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS) == 0;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList();
                assertEquals(List.of(), rootOwned, "the user's daemon leaves no root-owned file in its home");
            }

            // the machine's service is root's to install; root's names the installation it runs from
            Path units = Files.createDirectories(work.resolve("units"));
            StrataProcess.Outcome refused = run(asNobody(home, strata.toString(), "service", "install", "--to", units.toString()), 2);
            assertTrue(refused.out().contains("permission denied (the service is root's: run this as root)"), refused.out());
            run(List.of(strata.toString(), "service", "install", "--to", units.toString()), 0);
            assertTrue(Files.readString(units.resolve("strata.service")).contains("ExecStart=" + work.resolve("prefix")
                    + "/bin/strata service start --mountpoint /strata"), Files.readString(units.resolve("strata.service")));
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ")) {
                new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
            }
            Renderer.deleteTree(work);
        }
    }

    /** Starts the daemon as nobody and waits until it serves. */
    private static Process start(Path home, Path strata, Path mnt, Path log) throws Exception {
        Process daemon = asNobody(home, strata.toString(), "service", "start", "--mountpoint", mnt.toString()).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("serving")) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                daemon.destroyForcibly();
                throw new AssertionError("the daemon did not start: " + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return daemon;
    }

    private static ProcessBuilder asNobody(Path home, String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "env", "HOME=" + home, "STRATA_HOME=" + home.resolve("strata")));
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("STRATA_FALLBACK");
        pb.environment().remove("STRATA_SOCKET");
        return pb;
    }

    private static StrataProcess.Outcome run(List<String> command, int expected) throws Exception {
        return run(new ProcessBuilder(command).redirectErrorStream(true), expected);
    }

    private static StrataProcess.Outcome run(ProcessBuilder pb, int expected) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", pb.command()) + " did not finish");
        assertEquals(expected, p.exitValue(), String.join(" ", pb.command()) + ": " + out);
        return new StrataProcess.Outcome(p.exitValue(), out, "");
    }
}
