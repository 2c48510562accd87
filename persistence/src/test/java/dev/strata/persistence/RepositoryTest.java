package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
    @TempDir
    Path home;

    private Repository repo() {
        return Repository.open(home.resolve("repo"));
    }

    private Digest layerOf(Repository repo, String content) {
        Digest blob = repo.blobs().put(content.getBytes(StandardCharsets.UTF_8)).digest();
        Manifest m = TreeBuilder.withDefaultRoot().put("f", Entry.file(0644, 0, 0, 0, content.length(), blob)).build();
        return repo.write(Layer.of(repo.write(new ManifestObject(m))));
    }

    @Test
    void storingExistingContentIsANoOpThatSaysSo() throws IOException {
        Repository repo = repo();
        ContentStore.Stored first = repo.blobs().put("abc".getBytes(StandardCharsets.UTF_8));
        ContentStore.Stored second = repo.blobs().put("abc".getBytes(StandardCharsets.UTF_8));
        assertFalse(first.existed());
        assertTrue(second.existed());
        assertEquals(first.digest(), second.digest());
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(repo.blobs().path(first.digest()))));
        assertEquals("strata-repository 1\n", Files.readString(home.resolve("repo/VERSION")));
    }

    @Test
    void aWriteThatFailsMidwayLeavesNoVisibleObject() {
        Repository repo = repo();
        InputStream failing = new InputStream() {
            int sent;

            @Override
            public int read() throws IOException {
                if (sent++ > 100_000) {
                    throw new IOException("disk unplugged");
                }
                return 'x';
            }
        };
        assertThrows(RepositoryException.class, () -> repo.blobs().put(failing));
        assertEquals(List.of(), repo.blobs().list(p -> { }));
        assertEquals(0, count(repo.tmpDir()), "the temp file is removed too");
    }

    @Test
    void anotherLayoutVersionIsRefusedByName() throws IOException {
        repo();
        Files.writeString(home.resolve("repo/VERSION"), "strata-repository 99\n");
        RepositoryException e = assertThrows(RepositoryException.class, this::repo);
        assertTrue(e.getMessage().contains("strata-repository 99"), e.getMessage());
    }

    @Test
    void tagsKeepTheirHistory() {
        Repository repo = repo();
        Digest one = layerOf(repo, "one");
        Digest two = layerOf(repo, "two");
        repo.tags().set("team/app", one);
        repo.tags().set("team/app", two);
        assertEquals(two, repo.resolve("team/app"));
        assertEquals(two, repo.resolve("team/app~0"));
        assertEquals(one, repo.resolve("team/app~1"));
        UnknownRefException e = assertThrows(UnknownRefException.class, () -> repo.resolve("team/app~2"));
        assertTrue(e.getMessage().contains("2 entries in its history"), e.getMessage());
        assertEquals(List.of("team/app"), repo.tags().names());
        assertEquals(List.of(two, one), repo.tags().history("team/app").stream().map(TagStore.TagEntry::target).toList());
    }

    @Test
    void refsResolveByDigestAndUniquePrefix() {
        Repository repo = repo();
        Digest layer = layerOf(repo, "content");
        assertEquals(layer, repo.resolve(layer.hex()));
        assertEquals(layer, repo.resolve(layer.hex().substring(0, 8)));
        UnknownRefException shortPrefix = assertThrows(UnknownRefException.class, () -> repo.resolve(layer.hex().substring(0, 7)));
        assertTrue(shortPrefix.getMessage().contains("at least 8 hex digits"), shortPrefix.getMessage());
        assertThrows(UnknownRefException.class, () -> repo.resolve("00000000"));
    }

    @Test
    void anAmbiguousPrefixNamesItsCandidates() throws IOException {
        Repository repo = repo();
        // Two objects sharing 8 hex digits cannot be made by hashing in a test's time, so plant the names.
        Path shard = repo.objects().root().resolve("ab");
        Files.createDirectories(shard);
        Files.writeString(shard.resolve("cdef01" + "1".repeat(56)), "x");
        Files.writeString(shard.resolve("cdef01" + "2".repeat(56)), "y");
        AmbiguousRefException e = assertThrows(AmbiguousRefException.class, () -> repo.resolve("abcdef01"));
        assertTrue(e.getMessage().contains("abcdef011111") && e.getMessage().contains("abcdef012222"), e.getMessage());
        assertEquals(List.of(Digest.parse("abcdef01" + "1".repeat(56))), repo.objects().withPrefix("abcdef011"));
    }

    @Test
    void malformedSpecsAreRefusedWithTheirText() {
        for (String bad : List.of("", "a++b", "+a", "a~", "a~x", "../etc", "a\0b", "bad name", "/abs", "x".repeat(4096))) {
            RepositoryException e = assertThrows(MalformedSpecException.class, () -> EnvSpec.parse(bad), bad);
            assertTrue(e.getMessage().contains("spec") || e.getMessage().contains("ref"), e.getMessage());
        }
        assertEquals(3, EnvSpec.parse("base+app~2+0123abcd").refs().size());
    }

    @Test
    void platformsExpandToTheirLayersBottomUp() {
        Repository repo = repo();
        Digest a = layerOf(repo, "a");
        Digest b = layerOf(repo, "b");
        Digest c = layerOf(repo, "c");
        Digest platform = repo.write(new Platform(List.of(a, b)));
        repo.tags().set("plat", platform);
        repo.tags().set("top", c);
        List<Digest> layers = repo.resolveLayers(EnvSpec.parse("plat+top")).stream().map(Repository.ResolvedLayer::digest).toList();
        assertEquals(List.of(a, b, c), layers);
    }

    static long count(Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
