package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCleanTest {
    @TempDir
    Path home;

    private Importer.Result importTree(Repository repo, String name, String content, String tag) throws IOException {
        Path dir = home.resolve("src-" + name);
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/file"), content);
        return new Importer(repo).importDirectory(dir, tag, Map.of(), new Importer.Listener() { });
    }

    @Test
    void aSoundRepositoryChecksClean() throws IOException {
        Repository repo = Repository.open(home.resolve("repo"));
        importTree(repo, "a", "alpha", "a");
        Checker.Report report = new Checker(repo).check();
        assertTrue(report.ok(), report.problems().toString());
        assertEquals(2, report.objects(), "a manifest and a layer");
        assertEquals(1, report.blobs());
    }

    @Test
    void checkNamesAFlippedByteInABlobAndInAnObject() throws IOException {
        Repository repo = Repository.open(home.resolve("repo"));
        Importer.Result r = importTree(repo, "a", "alpha content", "a");
        Manifest m = repo.manifest(r.manifest());
        Digest blob = m.blob(m.find("sub/file"));
        TreeFacts.flipByte(repo.blobs().path(blob), 3);
        TreeFacts.flipByte(repo.objects().path(r.manifest()), 20);
        Checker.Report report = new Checker(repo).check();
        assertFalse(report.ok());
        String all = String.join("\n", report.problems());
        assertTrue(all.contains("blob " + blob + " is corrupt"), all);
        assertTrue(all.contains("object " + r.manifest() + " is corrupt"), all);
    }

    @Test
    void checkNamesAMissingBlob() throws IOException {
        Repository repo = Repository.open(home.resolve("repo"));
        Importer.Result r = importTree(repo, "a", "alpha", "a");
        Manifest m = repo.manifest(r.manifest());
        Digest blob = m.blob(m.find("sub/file"));
        Files.delete(repo.blobs().path(blob));
        String all = String.join("\n", new Checker(repo).check().problems());
        assertTrue(all.contains("missing blob " + blob), all);
    }

    @Test
    void cleanRemovesOnlyWhatNoTagReaches() throws IOException {
        Repository repo = Repository.open(home.resolve("repo"));
        Importer.Result kept = importTree(repo, "kept", "kept", "kept");
        Importer.Result old = importTree(repo, "old", "old", "moving");
        importTree(repo, "new", "new", "moving");
        Importer.Result orphan = importTree(repo, "orphan", "orphan", null);
        Files.writeString(repo.tmpDir().resolve("tmp-crashed.part"), "left by a crash");

        Collector.Report dry = new Collector(repo).clean(true, Set.of());
        assertEquals(2, dry.objects().size(), "the orphan's layer and manifest");
        assertTrue(repo.objects().contains(orphan.layer()), "a dry run removes nothing");

        Collector.Report report = new Collector(repo).clean(false, Set.of());
        assertEquals(dry.objects(), report.objects());
        assertEquals(1, report.blobs().size());
        assertEquals(1, report.tempFiles());
        assertFalse(repo.objects().contains(orphan.layer()));
        assertTrue(repo.objects().contains(kept.layer()));
        assertTrue(repo.objects().contains(old.layer()), "history keeps moving~1 reachable");
        assertTrue(new Checker(repo).check().ok());
    }

    @Test
    void cleanWaitsForAnImportInProgress() throws Exception {
        Repository repo = Repository.open(home.resolve("repo"));
        Digest untaggedYet;
        CompletableFuture<Collector.Report> clean;
        try (RepositoryLock.Held importing = repo.writing()) {
            untaggedYet = repo.blobs().put("about to be tagged".getBytes()).digest();
            clean = CompletableFuture.supplyAsync(() -> new Collector(repo).clean(false, Set.of()));
            Thread.sleep(300);
            assertFalse(clean.isDone(), "clean must wait for the writer");
            Manifest m = TreeBuilder.withDefaultRoot().put("f", Entry.file(0644, 0, 0, 0, 18, untaggedYet)).build();
            repo.tags().set("fresh", repo.write(Layer.of(repo.write(new ManifestObject(m)))));
        }
        clean.get(10, TimeUnit.SECONDS);
        assertTrue(repo.blobs().contains(untaggedYet));
    }
}
