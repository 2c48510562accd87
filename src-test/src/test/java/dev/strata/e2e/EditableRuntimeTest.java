package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Editable runtimes through a real kernel mount: POSIX behaviour, real tools, isolation, commit. */
class EditableRuntimeTest {
    private static final String PYTHON = "/usr/bin/python3";
    static DaemonFixture daemon;
    static Path mnt;
    static Path probes;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = new DaemonFixture();
        mnt = daemon.mountpoint;
        daemon.layer("base", "lower/file", "lower content\n", "lower/file2", "second lower file\n", "lower/file3", "truncate me\n",
                "lower/dir/sub/f", "sub\n", "lower/dir/other", "other\n");
        daemon.layer("big", "data/big", "lower ".repeat(2 << 20));
        // a lower file that only its owner (nobody) may write, and nobody may read
        Path owned = Files.createDirectories(daemon.work.resolve("src-owned/owned"));
        Files.writeString(owned.resolve("write-only"), "secret\n");
        dev.strata.persistence.NativeFs.lchown(owned, 65534, 65534);
        dev.strata.persistence.NativeFs.lchown(owned.resolve("write-only"), 65534, 65534);
        dev.strata.persistence.NativeFs.chmod(owned.resolve("write-only"), 0200);
        daemon.strata.ok("import", owned.getParent().toString(), "--tag", "owned");
        probes = Files.createDirectories(daemon.work.resolve("probes"));
        for (String probe : List.of("checks.py", "posix_probe.py", "permission_probe.py")) {
            try (InputStream in = EditableRuntimeTest.class.getResourceAsStream("/probes/" + probe)) {
                Files.copy(in, probes.resolve(probe));
            }
        }
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Path out(String name) {
        return daemon.work.resolve(name + ".out");
    }

    /** Runs a script in a new editable runtime on {@code spec}; returns its output, failing on a non-zero exit. */
    private static String edit(String spec, String name, String script) throws Exception {
        Process p = daemon.strata.startWithOutput(out(name), "run", "--edit", spec, "--", "sh", "-c", script);
        int exit = DaemonFixture.await(p);
        String output = Files.readString(out(name));
        assertEquals(0, exit, name + " failed:\n" + output + "\n" + daemon.log());
        return output;
    }

    /** Runs {@code before}, then a Python {@code probe} with {@code after} appended, in the mount in a new editable runtime. */
    private static String editWithProbe(String spec, String name, String before, String probe, String after) throws Exception {
        Path script = daemon.work.resolve(name + ".py");
        Files.writeString(script, probe);
        return edit(spec, name, "cd " + mnt + " && " + before + PYTHON + " " + script + after);
    }

    /** The strata CLI as a command line for scripts inside a runtime. */
    private static String cli() {
        return Path.of(System.getProperty("java.home"), "bin", "java") + " -cp " + System.getProperty("java.class.path")
                + " dev.strata.ops.Main";
    }

    @Test
    void posixBehaviourInsideAnEditableRuntime() throws Exception {
        String output = edit("base", "posix", "cd " + mnt + " && " + PYTHON + " " + probes.resolve("posix_probe.py"));
        assertTrue(output.contains("\n0 failed"), output);
    }

    @Test
    void permissionsAreCheckedForAnUnprivilegedUser() throws Exception {
        String output = edit("base+owned", "permissions", "cd " + mnt + " && mkdir -m 1777 shared && echo r > shared/rootfile && "
                + "setpriv --reuid=65534 --regid=65534 --clear-groups " + PYTHON + " " + probes.resolve("permission_probe.py"));
        assertTrue(output.contains("\n0 failed"), output);
    }

    @Test
    void aReadOnlyRuntimeRefusesEveryChange() throws Exception {
        Process p = daemon.run("base", "cd " + mnt + " && for op in 'touch new' 'mkdir d' 'rm lower/file' 'chmod 600 lower/file' "
                + "'mv lower/file x' 'ln -s a b'; do if $op 2>/dev/null; then echo \"allowed: $op\"; fi; done; "
                + "echo x >> lower/file || echo refused", out("read-only"));
        assertEquals(0, DaemonFixture.await(p));
        String output = Files.readString(out("read-only"));
        assertFalse(output.contains("allowed"), output);
        assertTrue(output.contains("Read-only file system") && output.contains("refused"), output);
    }

    @Test
    void realToolsWork() throws Exception {
        Path tree = Files.createDirectories(daemon.work.resolve("tar-src/pkg/bin"));
        Files.writeString(tree.resolve("tool"), "#!/bin/sh\necho tool\n");
        Files.setPosixFilePermissions(tree.resolve("tool"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(tree.getParent().resolve("README"), "read me\n");
        Files.createSymbolicLink(tree.getParent().resolve("latest"), Path.of("bin/tool"));
        Files.createDirectories(tree.getParent().resolve("empty"));
        Files.setLastModifiedTime(tree.getParent().resolve("README"), FileTime.fromMillis(1_000_000_000_000L));
        Path src = daemon.work.resolve("tar-src");
        Path original = daemon.work.resolve("orig.tar");
        Path again = daemon.work.resolve("again.tar");
        assertEquals(0, new ProcessBuilder("tar", "-C", src.toString(), "--numeric-owner", "-cf", original.toString(), ".")
                .inheritIO().start().waitFor());
        String script = String.join("\n",
                "set -e",
                "cd " + mnt,
                "git init -q repo && cd repo",
                "git config user.email t@example.com && git config user.name t",
                "echo one > a && git add a && git commit -qm one",
                "echo two >> a && git commit -qam two",
                "echo \"git $(git rev-list --count HEAD) commits, $(git status --porcelain | wc -l) dirty\"",
                "git fsck --no-progress 2>&1 | grep -v '^Checking' || true",
                "cd ..",
                "mkdir x && tar -C x -xf " + original + " && tar -C x --numeric-owner -cf " + again + " .",
                "printf '#include <stdio.h>\\nint main(void) { puts(\"compiled and ran\"); return 0; }\\n' > hello.c",
                "gcc -o hello hello.c && ./hello",
                "sed -i s/lower/LOWER/ lower/file && cat lower/file",
                "cp -a lower copy && diff -r lower copy && echo 'cp -a: same tree'",
                "mv lower/dir moved && ls moved/sub",
                "rm -rf lower && test ! -e lower && echo 'rm -rf: gone'",
                "ls");
        String output = edit("base", "tools", script);
        assertTrue(output.contains("git 2 commits, 0 dirty"), output);
        assertTrue(output.contains("compiled and ran"), output);
        assertTrue(output.contains("LOWER content"), output);
        assertTrue(output.contains("cp -a: same tree"), output);
        assertTrue(output.contains("\nf\n"), output);
        assertTrue(output.contains("rm -rf: gone"), output);
        assertEquals(tarListing(original), tarListing(again));
    }

    private static List<String> tarListing(Path tar) throws Exception {
        Process p = new ProcessBuilder("tar", "--numeric-owner", "--full-time", "-tvf", tar.toString()).start();
        String listing = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        return listing.lines().sorted().toList();
    }

    @Test
    void editableRuntimesNeverSeeEachOther() throws Exception {
        String write = "cd " + mnt + " && echo %s > lower/file && mkdir only-%s && sleep 2 && cat lower/file && ls";
        Process a = daemon.strata.startWithOutput(out("iso-a"), "run", "--edit", "base", "--", "sh", "-c", write.formatted("A", "a"));
        Process b = daemon.strata.startWithOutput(out("iso-b"), "run", "--edit", "base", "--", "sh", "-c", write.formatted("B", "b"));
        Process readOnly = daemon.run("base", "sleep 1; cd " + mnt + " && cat lower/file && ls", out("iso-ro"));
        assertEquals(0, DaemonFixture.await(a));
        assertEquals(0, DaemonFixture.await(b));
        assertEquals(0, DaemonFixture.await(readOnly));
        assertEquals(List.of("A", "lower", "only-a"), lines(out("iso-a")));
        assertEquals(List.of("B", "lower", "only-b"), lines(out("iso-b")));
        assertEquals(List.of("lower content", "lower"), lines(out("iso-ro")));
    }

    private static List<String> lines(Path p) throws Exception {
        return Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList();
    }

    /** Every path under the current directory with type, mode, size, mtime and content hash. */
    private static final String INVENTORY = "find . -mindepth 1 | LC_ALL=C sort | while read -r p; do "
            + "stat -c '%n %F %a %s %Y' \"$p\"; if [ -f \"$p\" ] && [ ! -L \"$p\" ]; then sha256sum \"$p\"; fi; "
            + "if [ -L \"$p\" ]; then readlink \"$p\"; fi; done";

    @Test
    void aCommittedLayerShowsExactlyTheEditedTree() throws Exception {
        String edits = String.join(" && ",
                "cd " + mnt,
                "echo changed > lower/file",
                "rm lower/file2",
                "mkdir -p new/deep/er && echo deep > new/deep/er/leaf && : > new/empty-file && mkdir new/empty-dir",
                "ln -s ../lower/file new/link && ln new/deep/er/leaf new/hard",
                "chmod 700 lower/dir && chmod 755 new/empty-file",
                "mv lower/dir/sub lower/sub-moved",
                "dd if=/dev/urandom of=new/random bs=64k count=20 2>/dev/null",
                INVENTORY + " > " + out("edited-view"),
                cli() + " commit --tag committed -m 'round trip' > " + out("commit-digest"),
                cli() + " commit > " + out("second-commit") + " 2>&1",
                INVENTORY + " > " + out("after-commit-view"),
                cli() + " diff");
        String output = edit("base", "commit", edits);
        String digest = Files.readString(out("commit-digest")).trim();
        assertTrue(digest.matches("[0-9a-f]{64}"), output + Files.readString(out("commit-digest")));
        assertTrue(Files.readString(out("second-commit")).contains("nothing to commit"), Files.readString(out("second-commit")));
        String edited = Files.readString(out("edited-view"));
        assertEquals(edited, Files.readString(out("after-commit-view")), "the runtime shows the same tree after its commit");

        Process fresh = daemon.run("base+committed", "cd " + mnt + " && " + INVENTORY, out("fresh-view"));
        assertEquals(0, DaemonFixture.await(fresh));
        assertEquals(edited, Files.readString(out("fresh-view")), "a fresh run of base+committed shows the edited tree");

        Path rendered = daemon.work.resolve("rendered");
        daemon.strata.ok("render", "base+" + digest.substring(0, 12), rendered.toString());
        Process inventory = new ProcessBuilder("sh", "-c", INVENTORY).directory(rendered.toFile())
                .redirectOutput(out("rendered-view").toFile()).start();
        assertEquals(0, inventory.waitFor());
        assertEquals(edited, Files.readString(out("rendered-view")), "strata render gives the edited tree");
        String info = daemon.strata.ok("info", "committed").out();
        assertTrue(info.contains("strata.message=round trip"), info);
    }

    /** Handles held across a commit, on a file changed in the scratch and on an untouched lower one, still answer. */
    @Test
    void filesHeldOpenAcrossACommitStillAnswerFstatAndRead() throws Exception {
        String probe = "import os, subprocess, sys\n"
                + "held = [os.open(p, os.O_RDONLY) for p in ('held-new', 'lower/file')]\n"
                + "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                + "for fd in held:\n"
                + "    print('after the commit:', os.fstat(fd).st_size, os.pread(fd, 64, 0))\n";
        String output = editWithProbe("base", "held-across", "echo 'made in the scratch' > held-new && ", probe, " " + cli() + " commit");
        assertTrue(output.contains("after the commit: 20 b'made in the scratch\\n'"), output);
        assertTrue(output.contains("after the commit: 14 b'lower content\\n'"), output);
    }

    /**
     * Handles that hold a lower file open see what is written after the copy-up, as on a local disk:
     * read(2) of pages read before and of pages never read, a shared map, fstat, another process's
     * write, and a truncating open.
     */
    @Test
    void readersOfALowerFileSeeItsCopyUp() throws Exception {
        String probe = "import mmap, os, subprocess\n"
                + "r = os.open('data/big', os.O_RDONLY)\n"
                + "os.pread(r, 4096, 0)\n"
                + "m = mmap.mmap(r, 0, prot=mmap.PROT_READ)\n"
                + "w = os.open('data/big', os.O_WRONLY)\n"
                + "os.pwrite(w, b'NEW-HEAD', 0)\n"
                + "os.pwrite(w, b'NEW-TAIL', 9 << 20)\n"
                + "print('read:', os.pread(r, 8, 0), os.pread(r, 8, 9 << 20))\n"
                + "print('map:', m[0:8], m[9 << 20:(9 << 20) + 8])\n"
                + "subprocess.run(['dd', 'of=data/big', 'bs=1', 'seek=4096', 'conv=notrunc', 'status=none'], input=b'BY-DD', check=True)\n"
                + "print('other process:', os.pread(r, 5, 4096), m[4096:4101])\n"
                + "os.close(os.open('data/big', os.O_WRONLY | os.O_TRUNC))\n"
                + "print('truncated:', os.fstat(r).st_size, os.pread(r, 8, 0))\n";
        String output = editWithProbe("big", "held-lower", "", probe, "");
        assertTrue(output.contains("read: b'NEW-HEAD' b'NEW-TAIL'"), output);
        assertTrue(output.contains("map: b'NEW-HEAD' b'NEW-TAIL'"), output);
        assertTrue(output.contains("other process: b'BY-DD' b'BY-DD'"), output);
        assertTrue(output.contains("truncated: 0 b''"), output);
    }

    /** Reading a lower file moves its atime as relatime does, and is not a change to commit. */
    @Test
    void aReadMovesTheAtimeOfALowerFileAndChangesNothing() throws Exception {
        String probe = "import os\n"
                + "before = os.stat('lower/file2').st_atime_ns\n"
                + "open('lower/file2', 'rb').read()\n"
                + "after = os.stat('lower/file2').st_atime_ns\n"
                + "open('lower/file2', 'rb').read()\n"
                + "print('atime', 'moved' if after > before else 'kept', 'then', 'moved' if os.stat('lower/file2').st_atime_ns != after else 'kept')\n";
        String output = editWithProbe("base", "atime", "", probe, " && " + cli() + " diff");
        assertTrue(output.contains("atime moved then kept"), output);
        assertFalse(output.contains("file2"), "a read is not a change:\n" + output);
    }

    /**
     * Names that are not UTF-8 keep their bytes through import, the mount, a scratch, commit and
     * render, with the CLI in the C locale of a service (where Java cannot spell any of them).
     */
    @Test
    void namesThatAreNotUtf8KeepTheirBytesEverywhere() throws Exception {
        Path script = daemon.work.resolve("raw_names.py");
        try (InputStream in = EditableRuntimeTest.class.getResourceAsStream("/names/raw_names.py")) {
            Files.copy(in, script);
        }
        Path raw = daemon.work.resolve("raw-names");
        String lister = PYTHON + " " + script + " list ";
        assertEquals(0, new ProcessBuilder(PYTHON, script.toString(), "make", raw.toString()).inheritIO().start().waitFor());
        StrataProcess cLocale = new StrataProcess(daemon.home).withEnv("LC_ALL", "C");
        StrataProcess.Outcome imported = cLocale.run("import", raw.toString(), "--tag", "raw");
        assertEquals(0, imported.exit(), imported.err());
        String made = PYTHON + " -c \"open(b'new-\\xfe\\x80', 'wb').write(b'made in the scratch')\"";
        String output = edit("raw", "raw-names", "cd " + mnt + " && " + lister + ". > " + out("raw-shown") + " && " + made
                + " && " + cli() + " commit --tag raw-edited");
        Process source = new ProcessBuilder("sh", "-c", lister + raw).redirectOutput(out("raw-source").toFile()).start();
        assertEquals(0, source.waitFor());
        String expected = Files.readString(out("raw-source"));
        assertTrue(expected.contains("6cfe link 2e2e2f74ff01"), expected);
        assertEquals(expected, Files.readString(out("raw-shown")), "the mount shows the imported names\n" + output);

        Path rendered = daemon.work.resolve("raw-rendered");
        StrataProcess.Outcome render = cLocale.run("render", "raw+raw-edited", rendered.toString());
        assertEquals(0, render.exit(), render.err());
        Process listed = new ProcessBuilder("sh", "-c", lister + rendered).redirectOutput(out("raw-rendered").toFile()).start();
        assertEquals(0, listed.waitFor());
        String newFile = "6e65772dfe80 file " + java.util.HexFormat.of().formatHex("made in the scratch".getBytes()) + " links 1\n";
        String withNew = (expected + newFile).lines().sorted().collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertEquals(withNew, Files.readString(out("raw-rendered")), "the commit, rendered, has every name's bytes");
    }

    @Test
    void anEndedRuntimeLeavesNoScratchBehind() throws Exception {
        edit("base", "scratch-cleanup", "echo x > " + mnt + "/scratch-file");
        Path runtimes = daemon.home.resolve("runtimes");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Stream<Path> left = Files.exists(runtimes) ? Files.list(runtimes) : Stream.empty()) {
                List<Path> dirs = left.toList();
                if (dirs.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("scratch left behind: " + dirs);
                }
            }
            Thread.sleep(100);
        }
    }
}
