package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The differential conformance suite: the probe (src/test/c/posix-probe.c) runs its script of system
 * calls over the same lower tree on the host's disk and in a Strata runtime, as root and as two
 * ordinary users, and every line it prints (each call's result and errno, the stat fields after it)
 * must be the same. In a read-only runtime the host side is a read-only bind mount of the tree.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PosixDifferentialTest {
    static final Path PROBE = Path.of("target/posix-probe").toAbsolutePath();
    static final Path TREE_SCRIPT = Path.of("src/test/resources/probe-tree.sh").toAbsolutePath();
    static DaemonFixture daemon;
    static Path tree;

    /** The protections Debian turns on, off on some machines (containers): on for the run, so the probe's steps for them compare something. */
    private static final List<String> PROTECTIONS = List.of("protected_symlinks", "protected_regular", "protected_fifos");
    private static final java.util.Map<String, String> protectionsBefore = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        for (String p : PROTECTIONS) {
            Path sysctl = Path.of("/proc/sys/fs", p);
            protectionsBefore.put(p, Files.readString(sysctl).trim());
            Files.writeString(sysctl, "1");
        }
        daemon = new DaemonFixture();
        tree = Files.createDirectories(daemon.work.resolve("probe-tree"));
        dev.strata.persistence.NativeFs.chmod(tree, 0755);
        assertEquals(0, run(List.of("sh", TREE_SCRIPT.toString(), tree.toString()), daemon.work.resolve("tree.out")));
        daemon.strata.ok("import", tree.toString(), "--tag", "probe-base");
    }

    @AfterAll
    static void stop() throws Exception {
        protectionsBefore.forEach((p, value) -> {
            try {
                Files.writeString(Path.of("/proc/sys/fs", p), value);
            } catch (java.io.IOException e) {
                System.err.println("could not restore fs." + p + "=" + value + ": " + e);
            }
        });
        if (daemon != null) {
            // the copies hold trees deeper than PATH_MAX, which rm walks and Java's file API cannot
            run(List.of("sh", "-c", "rm -rf " + daemon.work + "/host-* " + daemon.work + "/ro-*"), Path.of("/dev/null"));
            daemon.close();
        }
    }

    private static int run(List<String> cmd, Path out) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(cmd + " did not finish");
        }
        return p.exitValue();
    }

    /** uid 65533 runs with the tree's group 4242 as a supplementary group; 65534 with none. */
    private static List<String> as(int uid, String... cmd) {
        List<String> all = new ArrayList<>();
        if (uid != 0) {
            all.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, uid == 65533 ? "--groups=4242" : "--clear-groups"));
        }
        all.addAll(List.of(cmd));
        return all;
    }

    /** A fresh copy of the tree, as cp -a makes it (owners, modes, hard links, the FIFO). */
    private static Path copyOfTree(String name) throws Exception {
        Path copy = daemon.work.resolve(name);
        assertEquals(0, run(List.of("cp", "-a", tree.toString(), copy.toString()), daemon.work.resolve(name + ".cp")));
        return copy;
    }

    private static List<String> onHost(int uid, Path dir) throws Exception {
        Path out = daemon.work.resolve("host-" + dir.getFileName() + ".out");
        assertEquals(0, run(as(uid, PROBE.toString(), dir.toString()), out), Files.readString(out));
        return Files.readAllLines(out);
    }

    private static List<String> inRuntime(int uid, boolean editable) throws Exception {
        Path out = daemon.work.resolve("strata-" + uid + (editable ? "-edit" : "-ro") + ".out");
        List<String> args = new ArrayList<>(List.of("run"));
        if (editable) {
            args.add("--edit");
        }
        args.addAll(List.of("probe-base", "--"));
        args.addAll(as(uid, PROBE.toString(), daemon.mountpoint.toString()));
        Process p = daemon.strata.startWithOutput(out, args.toArray(String[]::new));
        assertEquals(0, DaemonFixture.await(p), Files.readString(out));
        return Files.readAllLines(out);
    }

    /** The probe as {@code uid} over a copy of the tree on a read-only file system (a tmpfs remounted read-only). */
    private static List<String> onReadOnlyHost(int uid, String name) throws Exception {
        Path readOnly = Files.createDirectories(daemon.work.resolve(name));
        assertEquals(0, run(List.of("mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "strata-probe", readOnly.toString()),
                daemon.work.resolve("tmpfs.out")));
        try {
            assertEquals(0, run(List.of("sh", "-c", "cp -a " + tree + "/. " + readOnly + " && mount -o remount,ro " + readOnly),
                    daemon.work.resolve("ro.out")), Files.readString(daemon.work.resolve("ro.out")));
            return onHost(uid, readOnly);
        } finally {
            run(List.of("umount", readOnly.toString()), daemon.work.resolve("umount.out"));
        }
    }

    /** In a runtime on a mount of its own ({@code strata-run run --own-mount}), the probe run as {@code uid} inside it. */
    private static List<String> onOwnMount(int uid, boolean editable) throws Exception {
        Path out = daemon.work.resolve("own-" + uid + (editable ? "-edit" : "-ro") + ".out");
        List<String> args = new ArrayList<>(List.of("run", "--own-mount"));
        if (editable) {
            args.add("--edit");
        }
        args.addAll(List.of("probe-base", "--"));
        args.addAll(as(uid, PROBE.toString(), daemon.mountpoint.toString()));
        assertEquals(0, DaemonFixture.await(daemon.nativeFrontEnd(args.toArray(String[]::new)).redirectOutput(out.toFile()).start()),
                Files.readString(out));
        return Files.readAllLines(out);
    }

    /**
     * The known differences (README, Limits), all of one cause: without default_permissions the
     * kernel checks no mode of a FUSE file system and keeps the sticky bit out of its inodes. So it
     * opens FIFOs and connects to sockets against their modes, and fs.protected_symlinks,
     * protected_regular and protected_fifos (which need a sticky directory) never refuse; Strata
     * cannot see those calls to refuse them itself. default_permissions would cost a GETATTR of
     * every directory on every path walk, as views share directory nodes. Where the host refuses
     * one of those calls EACCES, Strata lets it through.
     */
    static boolean checkedOnlyByTheKernel(String host, String strata) {
        boolean call = host.contains("\"lower/fifo-") || host.contains("\"lower/socket-") || host.contains("\"sticky/user-link\"")
                || host.contains("\"sticky/other-");
        return call && host.endsWith("= -1 EACCES") && strata.startsWith(host.substring(0, host.lastIndexOf(" = ")));
    }

    static int knownDifferences;

    /** The first differing line, with the step it belongs to, or null. */
    private static String firstDifference(List<String> host, List<String> strata) {
        String step = "";
        for (int i = 0; i < Math.max(host.size(), strata.size()); i++) {
            String h = i < host.size() ? host.get(i) : "(nothing)";
            String s = i < strata.size() ? strata.get(i) : "(nothing)";
            if (!h.startsWith("    ")) {
                step = h;
            }
            if (!h.equals(s) && checkedOnlyByTheKernel(h, s)) {
                knownDifferences++;
            } else if (!h.equals(s)) {
                return "at line " + (i + 1) + (h.startsWith("    ") ? " (after " + step.trim() + ")" : "") + "\n  host:   " + h + "\n  strata: " + s;
            }
        }
        return null;
    }

    private static int steps(List<String> lines) {
        return Integer.parseInt(lines.get(lines.size() - 1).replace(" steps", ""));
    }

    @Test
    void anEditableRuntimeAnswersEveryCallAsTheHostsDiskAsRootAndAsOrdinaryUsers() throws Exception {
        int compared = 0;
        knownDifferences = 0;
        for (int uid : new int[] {0, 65534, 65533}) {
            List<String> host = onHost(uid, copyOfTree("host-" + uid));
            List<String> strata = inRuntime(uid, true);
            String difference = firstDifference(host, strata);
            if (difference != null) {
                fail("as uid " + uid + ", an editable runtime differs from the host's disk " + difference);
            }
            assertTrue(steps(host) > 90, host.toString());
            compared += steps(host);
        }
        System.out.println("posix differential, editable runtimes: " + compared + " steps compared, no difference but "
                + knownDifferences + " calls that only the kernel's default_permissions would refuse");
    }

    /**
     * On a mount of its own the kernel checks permissions itself (default_permissions), so the calls
     * only it can refuse are refused as on the host's disk: no difference at all, editable or read-only
     * (a read-only own mount is a read-only mount, so even the order of checks is the host's).
     */
    @Test
    void onAMountOfItsOwnEveryCallIsAnsweredAsTheHostsDiskIncludingTheKernelsOwnChecks() throws Exception {
        int compared = 0;
        for (int uid : new int[] {0, 65534, 65533}) {
            List<String> host = onHost(uid, copyOfTree("host-own-" + uid));
            assertNoDifference("as uid " + uid + ", an editable runtime on its own mount differs from the host's disk ", host,
                    onOwnMount(uid, true));
            compared += steps(host);
        }
        for (int uid : new int[] {0, 65534}) {
            List<String> host = onReadOnlyHost(uid, "ro-own-" + uid);
            assertNoDifference("as uid " + uid + ", a read-only runtime on its own mount differs from a read-only mount ", host,
                    onOwnMount(uid, false));
            compared += steps(host);
        }
        System.out.println("posix differential, own mounts: " + compared + " steps compared, no difference");
    }

    /** Fails with {@code what} and the first differing line, or the count of calls only the kernel checks, if any differ. */
    private static void assertNoDifference(String what, List<String> host, List<String> strata) {
        knownDifferences = 0;
        String difference = firstDifference(host, strata);
        if (difference != null || knownDifferences > 0) {
            fail(what + (difference != null ? difference : "in " + knownDifferences + " calls the kernel checks"));
        }
    }

    /**
     * Against the tree on a read-only file system (a tmpfs remounted read-only: a bind mount would
     * check permissions before EROFS, a read-only file system after): each read the same, each change
     * refused. The one allowed difference is the order of the kernel's checks: it refuses a change on
     * a read-only mount (EROFS) before it looks the path up, while on Strata's mount, read-only per
     * view, it looks the path up first and answers a missing name (ENOENT) or a link of a directory
     * (EPERM) itself.
     */
    @Test
    void aReadOnlyRuntimeRefusesEveryChangeAndReadsAsTheHostsDisk() throws Exception {
        int compared = 0;
        knownDifferences = 0;
        int reordered = 0;
        for (int uid : new int[] {0, 65534}) {
            List<String> host = onReadOnlyHost(uid, "ro-" + uid);
            List<String> strata = inRuntime(uid, false);
            assertEquals(host.size(), strata.size(), firstDifference(host, strata));
            for (int i = 0; i < host.size(); i++) {
                String h = host.get(i);
                String s = strata.get(i);
                boolean orderOfChecks = h.endsWith("= -1 EROFS") && (s.endsWith("= -1 ENOENT") || s.endsWith("= -1 EPERM"))
                        && h.substring(0, h.lastIndexOf(' ')).equals(s.substring(0, s.lastIndexOf(' ')));
                if (!h.equals(s) && orderOfChecks) {
                    reordered++;
                } else if (!h.equals(s) && checkedOnlyByTheKernel(h, s)) {
                    knownDifferences++;
                } else if (!h.equals(s)) {
                    fail("as uid " + uid + ", a read-only runtime differs from a read-only mount at line " + (i + 1) + "\n  host:   " + h
                            + "\n  strata: " + s);
                }
            }
            compared += steps(host);
        }
        System.out.println("posix differential, read-only runtimes: " + compared + " steps compared, " + reordered
                + " refused with the lookup's error where a read-only file system says EROFS first, " + knownDifferences
                + " calls that only the kernel's default_permissions would refuse");
    }
}
