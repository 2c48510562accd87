package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strata.persistence.NativeFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Permission checks through the mount use the caller's uid, gid and supplementary groups. */
class PermissionTest {
    static DaemonFixture daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        Path src = Files.createDirectories(daemon.work.resolve("perm-src"));
        Files.createDirectories(src.resolve("secret"));
        Files.writeString(src.resolve("secret/inside"), "hidden");
        Files.writeString(src.resolve("private"), "owner only");
        Files.writeString(src.resolve("group-readable"), "for group 4242");
        Files.writeString(src.resolve("public"), "for everyone");
        Files.writeString(src.resolve("owner-script"), "#!/bin/sh\necho owner ran\n");
        Files.writeString(src.resolve("public-script"), "#!/bin/sh\necho anyone ran\n");
        NativeFs.chmod(src.resolve("secret"), 0700);
        NativeFs.chmod(src.resolve("private"), 0600);
        NativeFs.lchown(src.resolve("group-readable"), 0, 4242);
        NativeFs.chmod(src.resolve("group-readable"), 0640);
        NativeFs.chmod(src.resolve("public"), 0644);
        NativeFs.chmod(src.resolve("owner-script"), 0744);
        NativeFs.chmod(src.resolve("public-script"), 0755);
        daemon.strata.ok("import", src.toString(), "--tag", "perms");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** Runs each probe as user nobody (with {@code groups}) inside the runtime and reports allowed or denied. */
    private static List<String> asNobody(String groups, String... probes) throws Exception {
        String mnt = daemon.mountpoint.toString();
        StringBuilder script = new StringBuilder();
        for (String probe : probes) {
            script.append("if setpriv --reuid=65534 --regid=65534 ").append(groups).append(" sh -c '")
                    .append(probe.replace("M/", mnt + "/")).append("' >/dev/null 2>&1; then echo allowed; else echo denied; fi; ");
        }
        Path out = daemon.work.resolve("perm-" + System.nanoTime() + ".out");
        assertEquals(0, DaemonFixture.await(daemon.run("perms", script.toString(), out)));
        return Files.readAllLines(out);
    }

    @Test
    void aStrangerIsKeptOutOfWhatIsNotTheirs() throws Exception {
        assertEquals(List.of("allowed", "denied", "denied", "denied", "denied", "allowed", "allowed", "denied", "allowed"),
                asNobody("--clear-groups",
                        "cat M/public",
                        "cat M/private",
                        "ls M/secret",
                        "cat M/secret/inside",
                        "cat M/group-readable",
                        "ls M/",
                        "M/public-script",
                        "M/owner-script",
                        "test -r M/public"));
    }

    @Test
    void aSupplementaryGroupOpensWhatItsGroupMayRead() throws Exception {
        assertEquals(List.of("allowed", "denied"), asNobody("--groups=4242", "cat M/group-readable", "cat M/private"));
    }

    @Test
    void rootReadsEverything() throws Exception {
        Path out = daemon.work.resolve("root.out");
        String mnt = daemon.mountpoint.toString();
        assertEquals(0, DaemonFixture.await(daemon.run("perms", "cat " + mnt + "/private " + mnt + "/secret/inside", out)));
        assertEquals("owner onlyhidden", Files.readString(out).trim());
    }
    /**
     * As root, then as user nobody: calls whose answers differed from ext4 (issue 11), each step
     * printing "ok" or its error. Run in DIR, the first argument.
     */
    private static final String ORDINARY_USER_SCRIPT = String.join("\n",
            "cd \"$1\" && mkdir -m 1777 work && cd work",
            "echo root > rootfile && chmod 0600 rootfile && echo pub > pubfile && chmod 0666 pubfile",
            "echo suid > suid-write && echo suid > suid-truncate && chmod 06777 suid-write suid-truncate",
            "exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=\"$PWD\" sh -c '",
            "  step() { name=$1; shift; if out=$(\"$@\" 2>&1); then echo \"$name: ok\"; else echo \"$name: ${out##*: }\"; fi; }",
            "  step chown-to-its-owner chown 0 rootfile",
            "  step chgrp-to-its-group chgrp 0 pubfile",
            "  step link-anothers-private-file ln rootfile mine",
            "  step link-a-public-file ln pubfile pub2",
            "  touch own && step chmod-sticky-file chmod 01644 own && echo \"mode: $(stat -c %a own)\"",
            "  step truncate-past-the-limit truncate -s 999999999999999 own",
            "  step write-a-setuid-file sh -c \"echo more >> suid-write\" && echo \"after a write: $(stat -c %a suid-write)\"",
            "  step truncate-a-setuid-file truncate -s 0 suid-truncate && echo \"after a truncate: $(stat -c %a suid-truncate)\"",
            // linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N names an O_TMPFILE file
            "  step tmpfile-linked /usr/bin/python3 -c \"import os, ctypes; fd = os.open(\\\".\\\", os.O_TMPFILE | os.O_RDWR, 0o640);"
                    + " os.write(fd, b\\\"unnamed\\\"); libc = ctypes.CDLL(None, use_errno=True);"
                    + " r = libc.linkat(-100, b\\\"/proc/self/fd/%d\\\" % fd, -100, b\\\"linked\\\", 0x400);"
                    + " r == 0 or os.sys.exit(os.strerror(ctypes.get_errno()))\"",
            "  echo \"linked: $(cat linked) $(stat -c %a linked)\"",
            "  step tmpfile-exclusive /usr/bin/python3 -c \"import os; os.close(os.open(\\\".\\\", os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600))\"",
            "  echo \"statfs: $(stat -f -c \"%S %b %c\" .)\"", // the scratch's disk: block size, blocks, files
            "  step git-init git init -q repo",
            "  cd repo && echo content > f",
            "  step git-add git add f",
            "  step git-commit git -c user.email=n@example.com -c user.name=n commit -qm first",
            "  echo \"commits: $(git rev-list --count HEAD)\"",
            "  step git-gc git gc -q",
            "  step git-fsck git fsck --no-progress",
            "'");

    @Test
    void anOrdinaryUserGetsTheAnswersItGetsOnTheHostsDisk() throws Exception {
        Path script = daemon.work.resolve("ordinary-user.sh");
        Files.writeString(script, ORDINARY_USER_SCRIPT + "\n");
        NativeFs.chmod(script, 0644);
        Path host = Files.createDirectories(daemon.work.resolve("host-disk"));
        NativeFs.chmod(host, 0755);
        Path hostOut = daemon.work.resolve("ordinary-host.out");
        Process onHost = new ProcessBuilder("sh", script.toString(), host.toString()).redirectErrorStream(true)
                .redirectOutput(hostOut.toFile()).start();
        assertEquals(0, DaemonFixture.await(onHost), Files.readString(hostOut));
        Path strataOut = daemon.work.resolve("ordinary-strata.out");
        Process inRuntime = daemon.strata.startWithOutput(strataOut, "run", "--edit", "perms", "--", "sh", script.toString(),
                daemon.mountpoint.toString());
        assertEquals(0, DaemonFixture.await(inRuntime), Files.readString(strataOut));
        List<String> expected = Files.readAllLines(hostOut);
        org.junit.jupiter.api.Assertions.assertTrue(expected.contains("git-commit: ok") && expected.contains("commits: 1"), expected.toString());
        assertEquals(expected, Files.readAllLines(strataOut));
    }
    /** git, tar, rsync, make, a venv with pip, sqlite3 under concurrent writers: as an ordinary user, as on the host's disk. */
    @Test
    void realProgramsRunAsAnOrdinaryUserAsOnTheHostsDisk() throws Exception {
        Path programs = Path.of("src/test/resources/real-programs").toAbsolutePath();
        Path helpers = Files.createDirectories(daemon.work.resolve("helpers"));
        NativeFs.chmod(helpers, 0755);
        for (String helper : List.of("wheel.py", "sqlite_writers.py")) {
            Files.copy(programs.resolve(helper), helpers.resolve(helper));
            NativeFs.chmod(helpers.resolve(helper), 0644);
        }
        String script = programs.resolve("programs.sh").toString();
        Path host = Files.createDirectories(daemon.work.resolve("programs-host"));
        NativeFs.chmod(host, 0755);
        Path hostOut = daemon.work.resolve("programs-host.out");
        Process onHost = new ProcessBuilder("sh", script, host.toString(), helpers.toString()).redirectErrorStream(true)
                .redirectOutput(hostOut.toFile()).start();
        assertEquals(0, DaemonFixture.await(onHost), Files.readString(hostOut));
        Path strataOut = daemon.work.resolve("programs-strata.out");
        Process inRuntime = daemon.strata.startWithOutput(strataOut, "run", "--edit", "perms", "--", "sh", script,
                daemon.mountpoint.toString(), helpers.toString());
        assertEquals(0, DaemonFixture.await(inRuntime), Files.readString(strataOut));
        List<String> expected = Files.readAllLines(hostOut);
        // rsync and the venv lines are there where bin/setup could install them
        org.junit.jupiter.api.Assertions.assertTrue(expected.containsAll(List.of("git clone: one, 1 commit", "git gc and fsck: ok",
                "tar: the same tree", "make: built, and it ran", "make: up to date", "make: rebuilt after a change",
                "sqlite wal: 800 rows from 4 writers, integrity ok")), expected.toString());
        assertEquals(expected, Files.readAllLines(strataOut));
    }
}
