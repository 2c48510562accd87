package dev.strata.engine;

import static dev.strata.engine.Layers.layer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strata.persistence.Repository;
import dev.strata.persistence.TreeBuilder;
import dev.strata.persistence.Entry;
import dev.strata.persistence.Manifest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewTest {
    private final View view = new View(LayerMerge.merge(List.of(
            layer("d usr", "d usr/bin", "f usr/bin/tool=abc", "l usr/bin/alias->tool", "l usr/bin/abs->/usr/bin/tool",
                    "l loop1->loop2", "l loop2->loop1", "l dir-link->usr/bin", "f plain=x", "d empty"))), null);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Errno errnoOf(Executable e) {
        return assertThrows(FsException.class, e::run).errno();
    }

    interface Executable {
        void run() throws FsException;
    }

    @Test
    void lookupAnswersWithPosixErrors() throws FsException {
        int usr = view.lookup(view.root(), b("usr"));
        assertEquals(usr, view.lookup(view.lookup(usr, b("bin")), b("..")));
        assertEquals(usr, view.lookup(usr, b(".")));
        assertEquals(view.root(), view.lookup(view.root(), b("..")), "the root is its own parent");
        assertEquals(Errno.ENOENT, errnoOf(() -> view.lookup(usr, b("missing"))));
        assertEquals(Errno.ENOTDIR, errnoOf(() -> view.lookup(view.resolve("plain", false), b("x"))));
        assertEquals(Errno.ENAMETOOLONG, errnoOf(() -> view.lookup(usr, b("n".repeat(256)))));
    }

    @Test
    void pathsResolveThroughSymlinks() throws FsException {
        int tool = view.resolve("/usr/bin/tool", true);
        assertEquals(tool, view.resolve("usr/bin/alias", true));
        assertEquals(tool, view.resolve("/usr/bin/abs", true));
        assertEquals(tool, view.resolve("dir-link/tool", false), "symlinks in the middle are always followed");
        assertEquals(view.resolve("usr/bin/alias", false), view.manifest().find("usr/bin/alias"));
        assertEquals(Errno.ELOOP, errnoOf(() -> view.resolve("loop1", true)));
        assertEquals(Errno.ENOTDIR, errnoOf(() -> view.resolve("plain/", true)));
        assertEquals(Errno.ENOTDIR, errnoOf(() -> view.resolve("usr/bin/tool/x", true)));
        assertEquals(Errno.ENAMETOOLONG, errnoOf(() -> view.resolve("a/".repeat(2049), true)));
    }

    @Test
    void attributesLookLikeStat() throws FsException {
        Attributes dir = view.attributes(view.resolve("usr", true));
        assertEquals(0040755, dir.mode());
        assertEquals(3, dir.nlink(), "2 + one subdirectory");
        Attributes file = view.attributes(view.resolve("usr/bin/tool", true));
        assertEquals(0100644, file.mode());
        assertEquals(3, file.size());
        assertEquals(1, view.attributes(view.root()).ino());
        assertEquals(0120777, view.attributes(view.resolve("usr/bin/alias", false)).mode());
    }

    @Test
    void readdirListsDotEntriesThenNamesAndResumesAtAnOffset() throws FsException {
        int bin = view.resolve("usr/bin", true);
        List<String> names = view.readdir(bin, 0, 100).stream().map(DirEntry::nameString).toList();
        assertEquals(List.of(".", "..", "abs", "alias", "tool"), names);
        List<DirEntry> firstTwo = view.readdir(bin, 0, 2);
        List<String> rest = view.readdir(bin, firstTwo.get(1).offset(), 100).stream().map(DirEntry::nameString).toList();
        assertEquals(List.of("abs", "alias", "tool"), rest);
        assertEquals(List.of(".", ".."), view.readdir(view.resolve("empty", true), 0, 10).stream().map(DirEntry::nameString).toList());
        assertEquals(Errno.ENOTDIR, errnoOf(() -> view.readdir(view.resolve("plain", true), 0, 10)));
    }

    @Test
    void readlinkOfAFileIsEinval() throws FsException {
        assertArrayEquals(b("tool"), view.readlink(view.resolve("usr/bin/alias", false)));
        assertEquals(Errno.EINVAL, errnoOf(() -> view.readlink(view.resolve("plain", false))));
    }

    @Test
    void readsComeFromTheBlobStore(@TempDir Path home) throws FsException {
        Repository repo = Repository.open(home);
        var stored = repo.blobs().put(b("hello, layered world"));
        Manifest m = TreeBuilder.withDefaultRoot().put("greeting", Entry.file(0644, 0, 0, 0, 20, stored.digest())).build();
        View v = new View(m, repo.blobs());
        ByteBuffer buf = ByteBuffer.allocate(5);
        assertEquals(5, v.read(v.resolve("greeting", true), 7, buf));
        assertEquals("layer", new String(buf.array(), StandardCharsets.UTF_8));
        assertEquals(0, v.read(v.resolve("greeting", true), 20, ByteBuffer.allocate(4)), "end of file");
        assertEquals(Errno.EISDIR, errnoOf(() -> v.open(v.root())));
        assertEquals(Errno.ENODATA, errnoOf(() -> v.getxattr(v.root(), "user.none")));
        // namespaces Strata keeps nothing of its own in answer as a file system without them
        assertEquals(Errno.EOPNOTSUPP, errnoOf(() -> v.getxattr(v.root(), "system.posix_acl_access")));
        assertEquals(Errno.EOPNOTSUPP, errnoOf(() -> v.getxattr(v.root(), "security.selinux")));
        assertEquals(Errno.ENODATA, errnoOf(() -> v.getxattr(v.root(), "security.capability")));
    }
}
