package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.persistence.Renderer;
import dev.strata.persistence.TreeFacts;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Integrity: check finds corruption; a killed import leaves nothing visible half-written. */
class CheckAndCrashTest {
    Path work;
    StrataProcess strata;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createTempDirectory("strata-crash-test-");
        strata = new StrataProcess(work.resolve("home"));
    }

    @AfterEach
    void tearDown() {
        Renderer.deleteTree(work);
    }

    private List<Path> storeFiles(String store) throws IOException {
        try (Stream<Path> s = Files.walk(work.resolve("home/repo/" + store + "/sha256"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void checkNamesEveryObjectOrBlobWithAFlippedByte() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/sub"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(src.resolve("f" + i), "content number " + i);
        }
        strata.ok("import", work.resolve("src").toString(), "--tag", "t");
        assertEquals(0, strata.run("check").exit());
        List<Path> blobs = storeFiles("blobs");
        List<Path> objects = storeFiles("objects");
        Path blob = blobs.get(7);
        Path object = objects.get(0);
        TreeFacts.flipByte(blob, 2);
        TreeFacts.flipByte(object, Files.size(object) / 2);
        StrataProcess.Outcome check = strata.run("check");
        assertEquals(1, check.exit());
        String name = blob.getParent().getFileName().toString() + blob.getFileName();
        String objectName = object.getParent().getFileName().toString() + object.getFileName();
        assertTrue(check.out().contains("blob " + name + " is corrupt"), check.out());
        assertTrue(check.out().contains("object " + objectName + " is corrupt"), check.out());
    }

    @Test
    void anImportKilledMidwayLeavesNoVisiblePartialObject() throws Exception {
        Path src = Files.createDirectories(work.resolve("big"));
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        for (int f = 0; f < 4; f++) {
            try (OutputStream out = Files.newOutputStream(src.resolve("part" + f))) {
                for (int i = 0; i < 96; i++) {
                    chunk[0] = (byte) i;
                    chunk[1] = (byte) f;
                    out.write(chunk);
                }
            }
        }
        strata.ok("tags");
        Path tmp = work.resolve("home/repo/tmp");
        Process importing = strata.start("import", src.toString(), "--tag", "big");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!hasPartFile(tmp) && importing.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertTrue(importing.isAlive(), "the import finished before it could be killed; make the tree bigger");
            importing.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } finally {
            importing.destroyForcibly();
        }
        StrataProcess.Outcome check = strata.run("check");
        assertEquals(0, check.exit(), check.out() + check.err());
        assertFalse(strata.ok("tags").out().contains("big"));
        assertTrue(hasPartFile(tmp), "the killed import left its temp file, which only clean removes");
        String clean = strata.ok("clean").err();
        assertTrue(clean.contains("leftover temp file"), clean);
        assertFalse(hasPartFile(tmp));
        // and the import, run again, completes
        strata.ok("import", src.toString(), "--tag", "big");
        assertEquals(0, strata.run("check").exit());
    }

    private static boolean hasPartFile(Path tmp) throws IOException {
        if (!Files.isDirectory(tmp)) {
            return false;
        }
        try (Stream<Path> s = Files.list(tmp)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".part"));
        }
    }
}
