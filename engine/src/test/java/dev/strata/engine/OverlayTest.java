package dev.strata.engine;

import static dev.strata.engine.Overlay.SetAttributes.Field.GID;
import static dev.strata.engine.Overlay.SetAttributes.Field.MODE;
import static dev.strata.engine.Overlay.SetAttributes.Field.SIZE;
import static dev.strata.engine.Overlay.SetAttributes.Field.UID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.persistence.Digest;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Layer;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scratch without a kernel: journal replay, torn journals, and what a commit records. */
class OverlayTest {
    private static final Permissions.Credentials ROOT = new Permissions.Credentials() {
        public int uid() {
            return 0;
        }

        public int gid() {
            return 0;
        }

        public boolean inSupplementaryGroup(int gid) {
            return false;
        }
    };

    @TempDir
    Path tmp;
    Repository repo;
    Manifest lower;

    @BeforeEach
    void importLower() throws IOException {
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("etc/conf.d"));
        Files.createDirectories(src.resolve("usr/lib"));
        Files.writeString(src.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        Files.writeString(src.resolve("etc/conf.d/a"), "a\n");
        Files.writeString(src.resolve("usr/lib/libx.so"), "binary\n");
        Files.writeString(src.resolve("readme"), "read me\n");
        repo = Repository.open(tmp.resolve("repo"));
        lower = repo.manifest(new Importer(repo).importDirectory(src, "lower", Map.of(), new Importer.Listener() { }).manifest());
    }

    private Overlay open() throws IOException {
        return Overlay.open(new View(lower, repo.blobs()), tmp.resolve("scratch"));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Overlay.Node at(Overlay o, String path) throws FsException {
        Overlay.Node n = o.root();
        for (String part : path.split("/")) {
            n = o.lookup(n, b(part), ROOT);
        }
        return n;
    }

    /** A session of changes of every kind; content is written to the data files as the kernel would. */
    private static void change(Overlay o) throws Exception {
        Overlay.Node etc = at(o, "etc");
        Overlay.Node hosts = at(o, "etc/hosts");
        o.copyUp(hosts, true);
        Files.writeString(o.dataPath(hosts), "changed\n", StandardOpenOption.APPEND);
        Overlay.Node created = o.create(etc, b("new"), 0640, ROOT);
        Files.writeString(o.dataPath(created), "new file\n");
        o.link(created, o.root(), b("hardlink"), ROOT);
        o.mkdir(o.root(), b("opt"), 0755, ROOT);
        o.symlink(at(o, "opt"), b("link"), b("../etc/hosts"), ROOT);
        o.unlink(at(o, "usr/lib"), b("libx.so"), ROOT);
        o.rename(o.root(), b("usr"), at(o, "opt"), b("usr-moved"), 0, ROOT);
        o.unlink(at(o, "etc/conf.d"), b("a"), ROOT);
        o.rmdir(etc, b("conf.d"), ROOT);
        o.mkdir(etc, b("conf.d"), 0700, ROOT); // a new directory where a lower one was: opaque
        o.setAttributes(at(o, "readme"), new Overlay.SetAttributes(java.util.EnumSet.of(Overlay.SetAttributes.Field.MODE), 0600, 0, 0, 0, 0, 0, false), ROOT);
        o.setxattr(at(o, "readme"), "user.k", b("v"), 0, ROOT);
    }

    /** The view as lines: path, type and mode, size, content; walked through listings like a process would. */
    private static List<String> tree(Overlay o) throws Exception {
        List<String> out = new ArrayList<>();
        walk(o, o.root(), "", out);
        return out;
    }

    private static void walk(Overlay o, Overlay.Node dir, String path, List<String> out) throws Exception {
        for (Overlay.Listed e : o.readdir(dir, 0, Integer.MAX_VALUE)) {
            String name = new String(e.name(), StandardCharsets.UTF_8);
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            Attributes a = o.attributes(e.node());
            String p = path + "/" + name;
            String content = "";
            if (e.node().kind() == dev.strata.persistence.EntryKind.FILE) {
                content = Files.readString(e.node().hasDataFile() ? o.dataPath(e.node()) : o.lower().blobPath(o.lowerNodeOf(e.node())));
            } else if (e.node().kind() == dev.strata.persistence.EntryKind.SYMLINK) {
                content = new String(o.readlink(e.node()), StandardCharsets.UTF_8);
            }
            out.add(p + " " + Integer.toOctalString(a.mode()) + " " + a.nlink() + " " + content.trim() + " " + o.xattrs(e.node()).keySet());
            if (e.node().isDirectory()) {
                walk(o, e.node(), p, out);
            }
        }
        out.sort(null);
    }

    @Test
    void replayingTheJournalRebuildsTheSameView() throws Exception {
        List<String> before;
        List<ScratchCommit.Listed> changes;
        try (Overlay o = open()) {
            change(o);
            before = tree(o);
            changes = ScratchCommit.list(o);
        }
        try (Overlay o = open()) {
            assertEquals(before, tree(o));
            assertEquals(changes, ScratchCommit.list(o));
        }
    }

    /** relatime on a lower file: a read moves an atime not after the mtime, once; it survives a replay and changes nothing to commit. */
    @Test
    void aReadOfALowerFileMovesItsAtimeOnce() throws Exception {
        long moved;
        try (Overlay o = open()) {
            Overlay.Node readme = at(o, "readme");
            long before = o.attributes(readme).atimeNanos();
            o.accessed(readme);
            moved = o.attributes(readme).atimeNanos();
            assertTrue(moved > before, before + " -> " + moved);
            o.accessed(readme);
            assertEquals(moved, o.attributes(readme).atimeNanos(), "relatime: an atime after the mtime stays for a day");
            assertEquals(List.of(), ScratchCommit.list(o));
        }
        try (Overlay o = open()) {
            assertEquals(moved, o.attributes(at(o, "readme")).atimeNanos());
            assertEquals(List.of(), ScratchCommit.list(o));
        }
    }

    @Test
    void aTornRecordAtTheEndIsDropped() throws Exception {
        List<String> before;
        try (Overlay o = open()) {
            change(o);
            before = tree(o);
        }
        Files.write(tmp.resolve("scratch/journal"), new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
        try (Overlay o = open()) {
            assertEquals(before, tree(o));
            o.mkdir(o.root(), b("after"), 0755, ROOT); // appends continue after the last good record
        }
        try (Overlay o = open()) {
            assertTrue(tree(o).stream().anyMatch(l -> l.startsWith("/after ")));
        }
    }

    @Test
    void aCommittedLayerOverTheLowerGivesTheSameView() throws Exception {
        try (Overlay o = open()) {
            change(o);
            List<String> edited = tree(o);
            WorkMeter meter = new WorkMeter();
            ScratchCommit.Result result = ScratchCommit.commit(o, repo, Map.of(), meter);
            // the plan is the work: every changed file once, all its bytes
            WorkMeter.Reading done = meter.read();
            assertTrue(done.filesTotal() > 0 && done.filesDone() == done.filesTotal(), done.toString());
            assertEquals(result.bytes(), done.bytesTotal(), done.toString());
            assertEquals(done.bytesTotal(), done.bytesDone(), done.toString());
            Layer layer = (Layer) repo.read(result.layer());
            View merged = View.of(List.of(lower, repo.manifest(layer.manifest())), repo.blobs());
            try (Overlay fresh = Overlay.open(merged, tmp.resolve("scratch2"))) {
                assertEquals(edited, tree(fresh));
                assertTrue(ScratchCommit.list(fresh).isEmpty());
                assertTrue(ScratchCommit.commit(fresh, repo, Map.of(), new WorkMeter()).empty(), "nothing changed: no layer");
            }
            Manifest m = repo.manifest(layer.manifest());
            assertTrue(m.isOpaque(m.find("etc/conf.d")), "a directory made where a lower one was removed hides the lower one");
            assertEquals(dev.strata.persistence.EntryKind.WHITEOUT, m.kind(m.find("usr")));
        }
    }

    @Test
    void namesAndTypesAreChecked() throws Exception {
        try (Overlay o = open()) {
            assertEquals(Errno.EEXIST, assertThrows(FsException.class, () -> o.mkdir(o.root(), b("etc"), 0755, ROOT)).errno());
            assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> o.create(o.root(), b("a/b"), 0644, ROOT)).errno());
            assertEquals(Errno.ENAMETOOLONG, assertThrows(FsException.class,
                    () -> o.create(o.root(), b("x".repeat(4096)), 0644, ROOT)).errno());
            assertEquals(Errno.EEXIST, assertThrows(FsException.class, () -> o.mkdir(o.root(), b(".."), 0755, ROOT)).errno());
            assertEquals(Errno.ENOTEMPTY, assertThrows(FsException.class, () -> o.rmdir(o.root(), b("etc"), ROOT)).errno());
            assertEquals(Errno.EINVAL, assertThrows(FsException.class,
                    () -> o.rename(o.root(), b("etc"), at(o, "etc/conf.d"), b("inside"), 0, ROOT)).errno());
            assertEquals(0, o.journalSize(), "refused changes leave no record");
        }
    }

    @Test
    void digestOfUntouchedLowerContentIsReused() throws Exception {
        try (Overlay o = open()) {
            Overlay.Node readme = at(o, "readme");
            o.copyUp(readme, true); // opened for writing, never written
            ScratchCommit.Result result = ScratchCommit.commit(o, repo, Map.of(), new WorkMeter());
            assertTrue(result.empty(), "a copy-up without a change is no change");
            Digest blob = lower.blob(lower.find("readme"));
            assertTrue(repo.blobs().contains(blob));
        }
    }
    private static Permissions.Credentials user(int uid) {
        return new Permissions.Credentials() {
            public int uid() {
                return uid;
            }

            public int gid() {
                return uid;
            }

            public boolean inSupplementaryGroup(int gid) {
                return false;
            }
        };
    }

    private static Overlay.SetAttributes set(java.util.Set<Overlay.SetAttributes.Field> fields, int mode, int uid, int gid, long size) {
        return new Overlay.SetAttributes(fields, mode, uid, gid, size, 0, 0, false);
    }

    private static Errno refusal(FsCall call) {
        return assertThrows(FsException.class, call::run).errno();
    }

    private interface FsCall {
        void run() throws Exception;
    }

    /** Rules found wrong against ext4 (issue 11), each as Linux applies it. */
    @Test
    void creationOwnershipStickyBitLinksAndSizesFollowTheKernel() throws Exception {
        Permissions.Credentials alice = user(1000);
        Permissions.Credentials bob = user(1001);
        try (Overlay o = open()) {
            Overlay.Node shared = o.mkdir(o.root(), b("shared"), 01777, ROOT);
            // git makes each object with O_CREAT|O_EXCL|O_RDWR and mode 0444: its creator gets what it asked for
            Overlay.Node object = o.create(shared, b("object"), 0444, alice);
            assertTrue(o.openCreated(object).writable());
            assertEquals(Errno.EACCES, refusal(() -> o.open(object, OpenIntent.READ_WRITE, alice)), "a later open is checked");
            // chown and chgrp to the owner and group it has: still the owner's (or root's) to do
            assertEquals(Errno.EPERM, refusal(() -> o.setAttributes(object, set(java.util.EnumSet.of(UID), 0, 1000, 0, 0), bob)));
            assertEquals(Errno.EPERM, refusal(() -> o.setAttributes(object, set(java.util.EnumSet.of(GID), 0, 0, 1000, 0), bob)));
            o.setAttributes(object, set(java.util.EnumSet.of(UID, GID), 0, 1000, 1000, 0), alice);
            // an owner's chmod keeps the sticky bit of a regular file
            o.setAttributes(object, set(java.util.EnumSet.of(MODE), 01644, 0, 0, 0), alice);
            assertEquals(01644, o.attributes(object).mode() & 07777);
            // a write by someone else makes the kernel clear setuid and setgid (sent as a chmod): allowed, and nothing more
            Overlay.Node setuid = o.create(shared, b("setuid"), 06777, alice);
            assertEquals(Errno.EPERM, refusal(() -> o.setAttributes(setuid, set(java.util.EnumSet.of(MODE), 06770, 0, 0, 0), bob)));
            o.setAttributes(setuid, set(java.util.EnumSet.of(MODE), 0777, 0, 0, 0), bob);
            assertEquals(0777, o.attributes(setuid).mode() & 07777);
            // fs.protected_hardlinks: nobody else links a file it may not read and write
            Overlay.Node secret = o.create(shared, b("secret"), 0600, alice);
            if (Files.readString(Path.of("/proc/sys/fs/protected_hardlinks")).trim().equals("1")) {
                assertEquals(Errno.EPERM, refusal(() -> o.link(secret, shared, b("mine"), bob)));
            }
            o.link(secret, shared, b("alices"), alice);
            // a size the scratch's file system cannot hold: EFBIG, as there
            long huge = 999_999_999_999_999L;
            Path probe = Files.createFile(tmp.resolve("probe"));
            boolean tooLargeHere;
            try (var f = new java.io.RandomAccessFile(probe.toFile(), "rw")) {
                f.setLength(huge);
                tooLargeHere = false;
            } catch (IOException e) {
                tooLargeHere = true;
            }
            if (tooLargeHere) {
                assertEquals(Errno.EFBIG, refusal(() -> o.setAttributes(object, set(java.util.EnumSet.of(SIZE), 0, 0, 0, huge), alice)));
            }
        }
    }
    /** O_TMPFILE: an unnamed file goes with its last handle, or keeps the name a link gives it, across a replay. */
    @Test
    void anUnnamedFileGoesWithItsHandleOrKeepsTheNameALinkGivesIt() throws Exception {
        try (Overlay o = open()) {
            Overlay.Node etc = at(o, "etc");
            Overlay.Node gone = o.createUnnamed(etc, 0600, true, ROOT);
            o.opened(gone);
            Files.writeString(o.dataPath(gone), "scratch only\n");
            Overlay.Node kept = o.createUnnamed(etc, 0640, true, ROOT);
            o.opened(kept);
            Files.writeString(o.dataPath(kept), "kept\n");
            assertEquals(0, o.attributes(kept).nlink());
            o.link(kept, etc, b("named"), ROOT);
            assertEquals(1, o.attributes(kept).nlink());
            Overlay.Node exclusive = o.createUnnamed(etc, 0600, false, ROOT);
            o.opened(exclusive);
            assertEquals(Errno.ENOENT, refusal(() -> o.link(exclusive, etc, b("never"), ROOT)), "O_EXCL: never linkable");
            Path goneData = o.dataPath(gone);
            o.released(gone);
            assertTrue(!Files.exists(goneData), "an unnamed file's content goes with its last handle");
        }
        try (Overlay o = open()) { // the journal replayed: the linked one has its name, the others are gone
            assertEquals("kept\n", Files.readString(o.dataPath(at(o, "etc/named"))));
            assertEquals(0640, o.attributes(at(o, "etc/named")).mode() & 07777);
            try (var data = Files.list(tmp.resolve("scratch/data"))) {
                assertEquals(1, data.count(), "only the named file's content is left");
            }
        }
    }
}
