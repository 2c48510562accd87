package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportRenderTest {
    @TempDir
    static Path shared;
    static Path source;
    static Repository repo;
    static Importer.Result imported;

    @BeforeAll
    static void importRichTree() throws IOException {
        source = TreeFacts.makeRichTree(shared.resolve("source"), 10_500);
        repo = Repository.open(shared.resolve("repo"));
        imported = new Importer(repo).importDirectory(source, "rich", Map.of("message", "test tree"), new Importer.Listener() { });
    }

    private static Manifest manifest() {
        return repo.manifest(imported.manifest());
    }

    @Test
    void importKeepsEveryKindOfEntry() {
        Manifest m = manifest();
        assertEquals(EntryKind.FIFO, m.kind(m.find("pipe")));
        assertEquals(EntryKind.SOCKET, m.kind(m.find("listening.sock")));
        assertEquals(0660, m.mode(m.find("listening.sock")));
        assertEquals(EntryKind.SYMLINK, m.kind(m.find("dangling")));
        assertEquals(04755, m.mode(m.find("bin/tool")));
        assertEquals(m.linkGroup(m.find("bin/tool")), m.linkGroup(m.find("bin/tool-hardlink")));
        assertTrue(m.linkGroup(m.find("bin/tool")) != 0);
        assertEquals("test", new String(m.xattrs(m.find("with-xattr")).get("user.origin")));
        assertEquals(1_234_567_890_123_456_789L, m.mtimeNanos(m.find("private.txt")));
        assertEquals(0, m.childCount(m.find("empty/nested-empty")));
        assertTrue(imported.files() > 10_000);
        assertEquals(imported.layer(), repo.resolve("rich"));
    }

    @Test
    void importingTheSameTreeAgainGivesTheSameDigestAndNoNewBlobs() {
        Importer.Result again = new Importer(repo).importDirectory(source, null, Map.of("message", "test tree"), new Importer.Listener() { });
        assertEquals(imported.layer(), again.layer());
        assertEquals(0, again.newBlobs());
    }

    /** A tree of names that are not UTF-8 (and a link target), made and listed by Python's bytes paths. */
    @Test
    void namesThatAreNotUtf8RoundTripByteForByte() throws Exception {
        Path script = shared.resolve("raw_names.py");
        try (var in = ImportRenderTest.class.getResourceAsStream("/names/raw_names.py")) {
            Files.copy(in, script);
        }
        Path raw = shared.resolve("raw-names");
        python(script, "make", raw);
        Importer.Result result = new Importer(repo).importDirectory(raw, null, Map.of(), new Importer.Listener() { });
        Manifest m = repo.manifest(result.manifest());
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (int n = 1; n < m.count(); n++) {
            names.add(java.util.HexFormat.of().formatHex(m.name(n)));
        }
        assertEquals(java.util.Set.of("636166e9", "fffe", "6f6b2dc3bc", "706c61696e", "713f75657374696f6e", "6480", "66c328",
                "6cfe", "68617264fe", "78fe", "78ff", "696e"), names);
        Path rendered = shared.resolve("raw-names-rendered");
        new Renderer(repo).render(m, rendered, Renderer.Mode.COPY);
        String listing = python(script, "list", raw);
        assertTrue(listing.contains("6cfe link 2e2e2f74ff01") && listing.contains("links 2"), listing);
        assertEquals(listing, python(script, "list", rendered));
    }

    private static String python(Path script, String mode, Path dir) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), mode, dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void renderReproducesTheSourceExactly() {
        Path out = shared.resolve("rendered");
        new Renderer(repo).render(manifest(), out, Renderer.Mode.COPY);
        assertEquals(TreeFacts.of(source, true), TreeFacts.of(out, true));
    }

    @Test
    void linkRenderSharesBlobsAndKeepsContent() throws IOException {
        Path out = shared.resolve("linked");
        new Renderer(repo).render(manifest(), out, Renderer.Mode.LINK);
        Manifest m = manifest();
        Path big = out.resolve("big.bin");
        assertEquals(Files.getAttribute(repo.blobs().path(m.blob(m.find("big.bin"))), "unix:ino"), Files.getAttribute(big, "unix:ino"));
        assertEquals(Files.mismatch(source.resolve("big.bin"), big), -1L);
        assertTrue(Files.isExecutable(out.resolve("bin/tool")));
    }

    @Test
    void renderRefusesANonEmptyTargetAndLeavesNothingBehind() throws IOException {
        Path target = shared.resolve("occupied");
        Files.createDirectories(target);
        Files.writeString(target.resolve("keep"), "mine");
        RepositoryException e = assertThrows(RepositoryException.class,
                () -> new Renderer(repo).render(manifest(), target, Renderer.Mode.COPY));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("mine", Files.readString(target.resolve("keep")));
    }

    @Test
    void aFailedRenderLeavesNoPartialTree() throws IOException {
        Manifest m = manifest();
        Path blob = repo.blobs().path(m.blob(m.find("big.bin")));
        Path moved = shared.resolve("moved-blob");
        Files.move(blob, moved);
        try {
            Path target = shared.resolve("broken-render");
            assertThrows(RepositoryException.class, () -> new Renderer(repo).render(m, target, Renderer.Mode.COPY));
            assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
            try (var siblings = Files.list(shared)) {
                assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains("rendering")));
            }
        } finally {
            Files.move(moved, blob);
        }
    }

    @Test
    void importOfSomethingThatIsNotADirectoryNamesIt() {
        RepositoryException e = assertThrows(RepositoryException.class,
                () -> new Importer(repo).importDirectory(source.resolve("private.txt"), null, Map.of(), new Importer.Listener() { }));
        assertTrue(e.getMessage().contains("private.txt"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new Importer(repo).importDirectory(source, "bad/../tag", Map.of(), new Importer.Listener() { }));
    }

    @Test
    void ociWhiteoutsAndOpaqueMarkersBecomeOverlayEntries() throws IOException {
        Path upper = shared.resolve("upper");
        Files.createDirectories(upper.resolve("bin"));
        Files.createFile(upper.resolve(".wh.private.txt"));
        Files.createFile(upper.resolve("bin/.wh..wh..opq"));
        Files.writeString(upper.resolve("bin/new"), "n");
        Importer.Result r = new Importer(repo).importDirectory(upper, null, Map.of(), new Importer.Listener() { });
        Manifest m = repo.manifest(r.manifest());
        assertEquals(EntryKind.WHITEOUT, m.kind(m.find("private.txt")));
        assertTrue(m.isOpaque(m.find("bin")));
        assertEquals(Manifest.NOT_FOUND, m.find("bin/.wh..wh..opq"));
    }
}
