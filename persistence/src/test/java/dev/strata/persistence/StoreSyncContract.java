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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every kind of {@link Store} must do as the other side of a push and a pull: subclasses give a
 * fresh, empty remote store of their kind (a repository directory, a bucket, a server).
 */
public abstract class StoreSyncContract {
    @TempDir
    protected Path tmp;

    /** An empty remote store of this kind; closed by the test. */
    protected abstract Store newRemote() throws Exception;

    /** Overwrites the remote's copy of a blob with other bytes (a corrupted server). */
    protected abstract void corruptBlob(Store remote, Digest blob, byte[] bytes) throws Exception;

    private Repository repo(String name) {
        return Repository.open(tmp.resolve(name));
    }

    private Path tree(String name, int files) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (int i = 0; i < files; i++) {
            Path f = dir.resolve("d" + (i % 7)).resolve("f" + i);
            Files.createDirectories(f.getParent());
            Files.writeString(f, name + " file " + i + "\n".repeat(i % 13));
        }
        Files.write(dir.resolve("big"), new byte[3 << 20]);
        Files.createSymbolicLink(dir.resolve("link"), Path.of("big"));
        return dir;
    }

    private static Importer.Result importTree(Repository repo, Path dir, String tag) {
        return new Importer(repo).importDirectory(dir, tag, Map.of(), new Importer.Listener() { });
    }

    private static Sync.Result sync(Repository from, Store to, Sync.Policy policy, String... refs) {
        return new Sync(new LocalStore(from, "A"), to, policy, 4, 0, new Sync.Listener() { }).sync(List.of(refs));
    }

    private static Sync.Result pull(Store from, Repository to, Sync.Policy policy, String... refs) {
        return new Sync(from, new LocalStore(to, "B"), policy, 4, 0, new Sync.Listener() { }).sync(List.of(refs));
    }

    @Test
    void pushThenPullBackGivesAnIdenticalCheckedRepository() throws Exception {
        Repository a = repo("a");
        Path src = tree("src", 60);
        Importer.Result imported = importTree(a, src, "app/base");
        try (Store remote = newRemote()) {
            Sync.Result pushed = sync(a, remote, Sync.Policy.MISSING_ONLY, "app/base");
            assertEquals(2, pushed.objects()); // a manifest and its layer
            assertTrue(pushed.blobs() > 2);
            assertEquals(List.of("app/base"), remote.tagNames());
            assertEquals(imported.layer(), remote.tagHistory("app/base").get(0).target());

            Repository b = repo("b");
            Sync.Result pulled = pull(remote, b, Sync.Policy.MISSING_ONLY, "app/base");
            assertEquals(pushed.objects(), pulled.objects());
            assertEquals(pushed.blobs(), pulled.blobs());
            assertTrue(new Checker(b).check().ok(), () -> new Checker(b).check().problems().toString());
            assertEquals(imported.layer(), b.resolve("app/base"));
            Path rendered = tmp.resolve("rendered");
            new Renderer(b).render(b.manifest(imported.manifest()), rendered, Renderer.Mode.COPY);
            assertEquals(TreeFacts.of(src, false), TreeFacts.of(rendered, false));

            Sync.Result again = pull(remote, b, Sync.Policy.MISSING_ONLY, "app/base");
            assertEquals(0, again.objects() + again.blobs() + again.tagEntries(), "a no-op re-pull moves nothing");
        }
    }

    @Test
    void tagsFollowThePolicyAndKeepTheirHistory() throws Exception {
        Repository a = repo("a");
        Importer.Result v1 = importTree(a, tree("v1", 5), "tool");
        try (Store remote = newRemote()) {
            sync(a, remote, Sync.Policy.MISSING_ONLY, "tool");
            Importer.Result v2 = importTree(a, tree("v2", 5), "tool");

            Sync.Result missingOnly = sync(a, remote, Sync.Policy.MISSING_ONLY, "tool");
            assertEquals(List.of("tool"), missingOnly.tagsKept());
            assertEquals(v1.layer(), last(remote.tagHistory("tool")), "an existing tag stays without --latest-tags");
            assertTrue(remote.hasObject(v2.layer()), "its newest target's data is copied all the same");

            sync(a, remote, Sync.Policy.LATEST_TAGS, "tool");
            assertEquals(v2.layer(), last(remote.tagHistory("tool")));
            assertEquals(2, remote.tagHistory("tool").size());

            Repository b = repo("b");
            pull(remote, b, Sync.Policy.MISSING_ONLY, "tool");
            assertEquals(v2.layer(), b.resolve("tool"));
            assertEquals(v1.layer(), b.resolve("tool~1"), "a new tag arrives with its history");
        }
    }

    private static Digest last(List<TagStore.TagEntry> history) {
        return history.get(history.size() - 1).target();
    }

    @Test
    void anInterruptedPullLeavesTheDestinationConsistentAndARerunMovesOnlyWhatIsMissing() throws Exception {
        Repository a = repo("a");
        importTree(a, tree("src", 40), "base");
        try (Store remote = newRemote()) {
            Sync.Result pushed = sync(a, remote, Sync.Policy.MISSING_ONLY, "base");
            Repository b = repo("b");
            AtomicInteger served = new AtomicInteger();
            Store failing = new FailingAfter(remote, 10, served);
            RepositoryException e = assertThrows(RepositoryException.class, () ->
                    new Sync(failing, new LocalStore(b, "B"), Sync.Policy.MISSING_ONLY, 1, 0, new Sync.Listener() { }).sync(List.of("base")));
            assertTrue(e.getMessage().contains("went away"), e.getMessage());
            assertFalse(b.tags().exists("base"), "no tag before its closure is there");
            assertTrue(new Checker(b).check().ok(), () -> new Checker(b).check().problems().toString());
            int arrived = b.blobs().list(p -> { }).size();
            assertTrue(arrived >= 9 && arrived < pushed.blobs(), "arrived " + arrived);

            Sync.Result rerun = pull(remote, b, Sync.Policy.MISSING_ONLY, "base");
            assertEquals(pushed.blobs() - arrived, rerun.blobs(), "the rerun moves only what is missing");
            assertTrue(new Checker(b).check().ok());
        }
    }

    @Test
    void aCorruptedRemoteBlobIsRefusedAndNeverStored() throws Exception {
        Repository a = repo("a");
        Path src = Files.createDirectories(tmp.resolve("one"));
        Files.writeString(src.resolve("f"), "the real content\n");
        Importer.Result imported = importTree(a, src, "one");
        Digest blob = a.manifest(imported.manifest()).blob(a.manifest(imported.manifest()).find("f"));
        try (Store remote = newRemote()) {
            sync(a, remote, Sync.Policy.MISSING_ONLY, "one");
            corruptBlob(remote, blob, "forged content!!\n".getBytes(StandardCharsets.UTF_8));
            Repository b = repo("b");
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> pull(remote, b, Sync.Policy.MISSING_ONLY, "one"));
            assertTrue(e.getMessage().contains(blob.hex()), e.getMessage());
            assertFalse(b.blobs().contains(blob));
            assertEquals(List.of(), b.blobs().list(p -> { }), "the forged bytes are not kept under their own name either");
            assertFalse(b.tags().exists("one"));
        }
    }

    @Test
    void unknownRefsAreNamedAndChangeNothing() throws Exception {
        try (Store remote = newRemote()) {
            Repository b = repo("b");
            UnknownRefException e = assertThrows(UnknownRefException.class, () -> pull(remote, b, Sync.Policy.MISSING_ONLY, "nope"));
            assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains(remote.describe()), e.getMessage());
            assertThrows(MalformedSpecException.class, () -> pull(remote, b, Sync.Policy.MISSING_ONLY, "a/../b"));
            assertEquals(List.of(), b.tags().names());
        }
    }

    /** A remote that stops answering blob reads after {@code limit} of them, like a server killed mid-pull. */
    private record FailingAfter(Store inner, int limit, AtomicInteger served) implements Store {
        @Override public String describe() { return inner.describe(); }
        @Override public boolean hasObject(Digest d) { return inner.hasObject(d); }
        @Override public byte[] object(Digest d) { return inner.object(d); }
        @Override public boolean hasBlob(Digest d) { return inner.hasBlob(d); }
        @Override public InputStream blob(Digest d, long offset) {
            if (served.incrementAndGet() > limit) {
                throw new RepositoryException(describe() + " went away");
            }
            return inner.blob(d, offset);
        }
        @Override public List<String> tagNames() { return inner.tagNames(); }
        @Override public List<TagStore.TagEntry> tagHistory(String name) { return inner.tagHistory(name); }
        @Override public void putObject(Digest d, byte[] encoded) { inner.putObject(d, encoded); }
        @Override public void putBlob(Digest d, long size, InputStream content) { inner.putBlob(d, size, content); }
        @Override public int mergeTag(String name, List<TagStore.TagEntry> entries, int by) { return inner.mergeTag(name, entries, by); }
    }
}
