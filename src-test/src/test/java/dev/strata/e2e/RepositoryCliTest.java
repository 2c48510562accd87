package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.persistence.Renderer;
import dev.strata.persistence.TreeFacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The repository half of the CLI, run as a user runs it: a separate process on real trees. */
class RepositoryCliTest {
    static Path work;
    static Path source;
    static StrataProcess strata;
    static String layer;

    @BeforeAll
    static void importATree() throws Exception {
        work = Files.createTempDirectory("strata-cli-test-");
        source = TreeFacts.makeRichTree(work.resolve("source"), 10_200);
        strata = new StrataProcess(work.resolve("home"));
        layer = strata.ok("import", source.toString(), "--tag", "rich", "-m", "the rich tree").out().trim();
    }

    @AfterAll
    static void removeEverything() {
        Renderer.deleteTree(work);
    }

    @Test
    void importPrintsTheLayerDigestAndTagsIt() throws Exception {
        assertEquals(64, layer.length());
        assertTrue(strata.ok("tags").out().contains(layer + "  rich"));
        String info = strata.ok("info", "rich").out();
        assertTrue(info.contains("kind:        layer"), info);
        assertTrue(info.contains("annotation:  strata.message=the rich tree"), info);
        assertTrue(info.contains("entries:     10"), info);
    }

    @Test
    void renderOfAnImportIsIdenticalToTheSource() throws Exception {
        Path out = work.resolve("rendered");
        strata.ok("render", "rich", out.toString());
        assertEquals(TreeFacts.of(source, true), TreeFacts.of(out, true));
    }

    @Test
    void lsShowsTheMergedViewLikeLsDashL() throws Exception {
        String bin = strata.ok("ls", "rich", "/bin").out();
        assertTrue(bin.contains("-rwsr-xr-x   2     0     0         20 "), bin);
        assertTrue(bin.contains("relative-link -> tool"), bin);
        String file = strata.ok("ls", layer.substring(0, 10), "private.txt").out();
        assertTrue(file.startsWith("-rw-------"), file);
    }

    @Test
    void tagsMoveAndKeepHistory() throws Exception {
        Path small = Files.createDirectories(work.resolve("small"));
        Files.writeString(small.resolve("only"), "1");
        String first = strata.ok("import", small.toString(), "--tag", "moving").out().trim();
        strata.ok("tag", "rich", "moving");
        assertEquals(first, strata.ok("info", "moving~1").out().lines().findFirst().orElseThrow().substring(13));
        List<String> log = strata.ok("log", "moving").out().lines().toList();
        assertEquals(2, log.size());
        assertTrue(log.get(0).startsWith("moving~0") && log.get(0).contains(layer), log.get(0));
        assertTrue(log.get(1).startsWith("moving~1") && log.get(1).contains(first), log.get(1));
        String diff = strata.ok("diff", "moving~1", "moving").out();
        assertTrue(diff.contains("- /only") && diff.contains("+ /bin/tool"), diff);
    }

    @Test
    void badInputGetsAClearErrorAndTheRightExitCode() throws Exception {
        StrataProcess.Outcome unknown = strata.run("ls", "no-such-tag");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("unknown ref 'no-such-tag'"), unknown.err());
        StrataProcess.Outcome malformed = strata.run("render", "rich++rich", work.resolve("never").toString());
        assertEquals(2, malformed.exit(), "a malformed spec is a usage error");
        assertTrue(malformed.err().contains("empty ref"), malformed.err());
        assertTrue(!Files.exists(work.resolve("never")));
        assertEquals(2, strata.run("no-such-command").exit());
        assertEquals(2, strata.run("render", "rich").exit(), "a missing argument is a usage error");
        StrataProcess.Outcome hostile = strata.run("tag", "rich", "../escape");
        assertEquals(1, hostile.exit());
        assertTrue(hostile.err().contains("invalid tag name"), hostile.err());
        assertEquals(0, strata.run("help", "import").exit());
    }
}
