package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code strata run --own-mount}: a tree on a FUSE connection of its own, mounted over the shared mount
 * point in the tree's own mount namespace, where the kernel keeps every answer. Real trees through the
 * native front end, as root and as nobody inside; and the refusals, as nobody on the launcher socket.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OwnMountTest {
    static DaemonFixture daemon;
    static String mnt;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        mnt = daemon.mountpoint.toString();
        Path src = Files.createDirectories(daemon.work.resolve("src-own"));
        Files.createDirectories(src.resolve("etc"));
        Files.writeString(src.resolve("etc/motd"), "base\n");
        Path secret = Files.createDirectories(src.resolve("secret"));
        Files.writeString(secret.resolve("key"), "root only\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
        Path shared = Files.createDirectories(src.resolve("tmp"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        daemon.strata.ok("import", src.toString(), "--tag", "own-base");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static StrataProcess.Outcome sh(String mode, String name, String script) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--own-mount"));
        if (!mode.isEmpty()) {
            args.add(mode);
        }
        if (!name.isEmpty()) {
            args.addAll(List.of("--name", name));
        }
        args.addAll(List.of("own-base", "--", "sh", "-c", script));
        return daemon.nativeRun(args.toArray(String[]::new));
    }

    private static String hostMounts() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
    }

    @Test
    void theTreeSeesItsOwnViewOnItsOwnConnectionAndNoOneElseSeesIt() throws Exception {
        StrataProcess.Outcome tree = sh("--edit", "own-a", String.join("; ",
                "grep -c 'fuse.strata.*default_permissions' /proc/self/mountinfo",
                "cat " + mnt + "/etc/motd",
                "echo mine > " + mnt + "/etc/new && stat -c '%s %U' " + mnt + "/etc/new",
                "mkdir " + mnt + "/d && touch " + mnt + "/d/f && mv " + mnt + "/d " + mnt + "/e && ls " + mnt + "/e",
                "rm " + mnt + "/etc/new; test -e " + mnt + "/etc/new || echo gone",
                "echo again > " + mnt + "/etc/new && cat " + mnt + "/etc/new",
                "ls " + mnt + "/etc | tr '\\n' ' '; echo",
                "cat " + mnt + "/nothere 2>/dev/null || echo no-such-file",
                "grep -q 'fuse.strata.*default_permissions' /proc/1/mountinfo || echo host-does-not-see-it",
                "echo $STRATA_RUNTIME",
                // a commit gives the view's objects new node ids under the entries the kernel keeps
                NativeClientTest.NATIVE + " commit --tag own-committed > /dev/null 2>&1 && echo more >> " + mnt + "/etc/new && cat " + mnt
                        + "/etc/new && ls " + mnt + "/e && stat -c %s " + mnt + "/etc/new"));
        assertEquals(0, tree.exit(), tree.out());
        assertEquals(String.join("\n", "1", "base", "5 root", "f", "gone", "again", "motd new ", "no-such-file", "host-does-not-see-it",
                "own-a", "again", "more", "f", "11", ""), tree.out());
        assertEquals("again\n", daemon.nativeRun("run", "own-committed", "--", "cat", mnt + "/etc/new").out(),
                "the commit holds what the tree wrote");
        assertFalse(hostMounts().contains("default_permissions"), "the own connection is mounted in the tree's namespace alone");
        // another runtime, on the shared mount, sees the layer only
        StrataProcess.Outcome other = daemon.nativeRun("run", "--edit", "own-base", "--", "sh", "-c",
                "ls " + mnt + "/etc; test -e " + mnt + "/e || echo no-e");
        assertEquals("motd\nno-e\n", other.out());
        assertTrue(daemon.log().contains("ended the connection of"), "the connection ended with its tree");
    }

    /** Every kernel request the daemon has received, on any connection. */
    private static java.util.Map<String, Double> requests() throws Exception {
        java.util.Map<String, Double> byOpcode = new java.util.TreeMap<>();
        daemon.strata.ok("service", "status", "--metrics").out().lines().filter(l -> l.startsWith("strata_fuse_requests_total{"))
                .forEach(l -> byOpcode.put(l.substring(0, l.lastIndexOf(' ')), Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))));
        return byOpcode;
    }

    /** The requests counted since {@code before}, by opcode. */
    private static java.util.Map<String, Double> since(java.util.Map<String, Double> before) throws Exception {
        java.util.Map<String, Double> now = requests();
        now.replaceAll((opcode, count) -> count - before.getOrDefault(opcode, 0.0));
        now.values().removeIf(count -> count == 0);
        return now;
    }

    @Test
    void aSecondWalkAndAStatAfterCreateAreAnsweredByTheKernelAlone() throws Exception {
        Path walked = daemon.work.resolve("walked");
        Path go = daemon.work.resolve("go");
        Path done = daemon.work.resolve("done");
        String wait = "while [ ! -e " + go + " ]; do sleep 0.02; done; ";
        String walk = "ls -lR " + mnt + "/etc " + mnt + "/tmp > /dev/null && find " + mnt + " > /dev/null && test ! -e " + mnt + "/nothere";
        Process tree = daemon.nativeFrontEnd("run", "--own-mount", "--edit", "own-base", "--", "sh", "-c",
                "mkdir " + mnt + "/new && " + walk + "; touch " + walked + "; " + wait
                        + walk + " && : > " + mnt + "/new/c && stat -c %s " + mnt + "/new/c > /dev/null && touch " + done)
                .redirectOutput(daemon.work.resolve("walk.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(walked) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            java.util.Map<String, Double> before = requests();
            Files.createFile(go);
            assertTrue(tree.waitFor(60, TimeUnit.SECONDS));
            assertTrue(Files.exists(done), Files.readString(daemon.work.resolve("walk.out")));
            // Listings, entries (a missing name's too) and attributes come from the kernel. What is left: making the file (a
            // LOOKUP of its name, CREATE, FLUSH, RELEASE); a GETATTR of a directory listed before (in a writable mount the
            // kernel marks its atime stale after each listing); ls asking for ACL and SELinux support once per process
            // (GETXATTR); a STATFS per find. A tree on the shared mount asks again for each directory it opens and for
            // every name of its own files.
            java.util.Map<String, Double> asked = since(before);
            assertTrue(asked.getOrDefault("strata_fuse_requests_total{opcode=\"LOOKUP\"}", 0.0) <= 1, asked.toString());
            asked.keySet().removeIf(op -> java.util.List.of("LOOKUP", "CREATE", "FLUSH", "RELEASE", "GETATTR", "GETXATTR", "STATFS")
                    .contains(op.replaceAll(".*opcode=\"(\\w+)\".*", "$1")));
            assertEquals(java.util.Map.of(), asked, "the second walk asked the daemon for listings or entries");
        } finally {
            tree.destroyForcibly();
        }
    }

    @Test
    void theKernelChecksPermissionsAndAReadOnlyViewIsReadOnly() throws Exception {
        String nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        StrataProcess.Outcome editable = sh("--edit", "", String.join("; ",
                nobody + "cat " + mnt + "/secret/key 2>&1 | grep -o 'Permission denied'",
                nobody + "sh -c 'echo x > " + mnt + "/etc/motd' 2>&1 | grep -o 'Permission denied'",
                nobody + "sh -c 'echo x > " + mnt + "/tmp/mine && stat -c %u " + mnt + "/tmp/mine'",
                "cat " + mnt + "/secret/key"));
        assertEquals(0, editable.exit(), editable.out());
        assertEquals("Permission denied\nPermission denied\n65534\nroot only\n", editable.out());
        StrataProcess.Outcome readOnly = sh("", "", String.join("; ",
                "touch " + mnt + "/etc/x 2>&1 | grep -o 'Read-only file system'",
                "cat " + mnt + "/etc/motd"));
        assertEquals("Read-only file system\nbase\n", readOnly.out());
    }

    @Test
    void writesThroughASharedMappingShowInStatAfterClose() throws Exception {
        StrataProcess.Outcome tree = daemon.nativeRun("run", "--own-mount", "--edit", "own-base", "--", "/usr/bin/python3", "-c",
                String.join("\n",
                "import mmap, os, time",
                "p = '" + mnt + "/etc/motd'",
                "before = os.stat(p).st_mtime_ns",
                "time.sleep(0.05)",
                "f = open(p, 'r+b'); m = mmap.mmap(f.fileno(), 0); m[0:1] = b'B'; m.flush(); m.close(); f.close()",
                "time.sleep(0.2)",
                "print(os.stat(p).st_mtime_ns != before, open(p).read().strip())",
                "open(p, 'ab').write(b'more\\n')",
                "print(os.stat(p).st_size)"));
        assertEquals("True Base\n10\n", tree.out());
    }

    @Test
    void theRuntimeEndingCutsItsTreeOff() throws Exception {
        Path started = daemon.work.resolve("victim-started");
        Process tree = daemon.nativeFrontEnd("run", "--own-mount", "--edit", "--name", "own-victim", "own-base", "--", "sh", "-c",
                "touch " + started + "; sleep 3; cat " + mnt + "/etc/motd 2>&1; exit 0")
                .redirectOutput(daemon.work.resolve("victim.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(started) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String metrics = daemon.strata.ok("service", "status", "--metrics").out();
            assertEquals(1, MetricsTest.value(metrics, "strata_own_mounts"), "its connection is served");
            assertEquals(0, daemon.nativeRun("unmount", "own-victim").exit());
            assertTrue(tree.waitFor(60, TimeUnit.SECONDS));
            assertTrue(Files.readString(daemon.work.resolve("victim.out")).contains("Transport endpoint is not connected"),
                    Files.readString(daemon.work.resolve("victim.out")));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (MetricsTest.value(daemon.strata.ok("service", "status", "--metrics").out(), "strata_own_mounts") != 0) {
                assertTrue(System.nanoTime() < deadline, "the connection did not end with its runtime");
                Thread.sleep(50);
            }
        } finally {
            tree.destroyForcibly();
        }
    }

    @Test
    void joinsNonRootCallersAndOtherProcessesAreRefused() throws Exception {
        Path started = daemon.work.resolve("held-started");
        Process held = daemon.nativeFrontEnd("run", "--own-mount", "--edit", "--name", "own-held", "own-base", "--", "sh", "-c",
                "touch " + started + "; exec sleep 20").redirectOutput(daemon.work.resolve("held.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(started) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            StrataProcess.Outcome join = daemon.nativeRun("run", "--join", "own-held", "--", "true");
            assertEquals(1, join.exit());
            assertTrue(join.out().contains("runtime 'own-held' has a mount of its own"), join.out());
            StrataProcess.Outcome ownJoin = daemon.nativeRun("run", "--own-mount", "--join", "own-held", "--", "true");
            assertEquals(2, ownJoin.exit());
            assertTrue(ownJoin.out().contains("a mount of its own is for a tree that starts a runtime"), ownJoin.out());

            ProcessBuilder asNobody = daemon.nativeFrontEnd("run", "--own-mount", "own-base", "--", "true");
            asNobody.command().addAll(0, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            Path out = daemon.work.resolve("nobody.out");
            Process p = asNobody.redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue());
            assertTrue(Files.readString(out).contains("--own-mount needs root"), Files.readString(out));

            // the daemon's own rules, for a caller that skips the front end: raw frames on the launcher socket
            String socket = dev.strata.ops.daemon.Daemon.launchSocket(daemon.home.resolve("daemon/control.sock")).toString();
            String name = "0a08" + hex("own-held");
            String ownMountOfHeld = "4:" + name + "1000";
            String mountOwn = "1:08PID12" + String.format("%02x", "own-base".length()) + hex("own-base") + "3801";
            String nobodySaw = launcher(true, socket, mountOwn, ownMountOfHeld);
            assertTrue(nobodySaw.contains("7 a mount of its own is made in a mount namespace of its own, which needs root"), nobodySaw);
            assertTrue(nobodySaw.contains("7 only the process that started runtime 'own-held' hands over its own mount"), nobodySaw);
            String rootSaw = launcher(false, socket, ownMountOfHeld, "4:" + "0a04" + hex("none") + "1000");
            assertTrue(rootSaw.contains("7 only the process that started runtime 'own-held' hands over its own mount"), rootSaw);
            assertTrue(rootSaw.contains("5 no running runtime 'none' was started with a mount of its own"), rootSaw);
        } finally {
            held.destroy();
            held.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String hex(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    /** Runs the Python client (as nobody when asked); each frame's PID stands for the client's own pid. */
    private static String launcher(boolean asNobody, String socket, String... frames) throws Exception {
        String script = String.join("\n",
                "import os, socket, struct, sys",
                "def varint(v):",
                "    out = b''",
                "    while True:",
                "        b = v & 0x7f; v >>= 7",
                "        out += bytes([b | (0x80 if v else 0)])",
                "        if not v: return out",
                "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])",
                "def read(n):",
                "    b = b''",
                "    while len(b) < n:",
                "        c = s.recv(n - len(b))",
                "        if not c: raise SystemExit('closed')",
                "        b += c",
                "    return b",
                "for frame in sys.argv[2:]:",
                "    kind, body = frame.split(':')",
                "    body = bytes.fromhex(body.replace('PID', varint(os.getpid()).hex()))",
                "    s.sendall(struct.pack('>IB', len(body) + 1, int(kind)) + body)",
                "    n = struct.unpack('>I', read(4))[0]",
                "    reply = read(n)",
                "    print(reply[0], reply[1:].decode('utf-8', 'replace'))",
                "");
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(List.of("/usr/bin/python3", "-c", script, socket));
        cmd.addAll(List.of(frames));
        Path out = Files.createTempFile(daemon.work, "launcher", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher client did not finish");
        return Files.readString(out);
    }
}
