package dev.strata.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedAnswersTest {
    /** What the kernel was told to drop, in order. */
    private static final class Kernel implements SharedAnswers.KernelCaches {
        final List<String> dropped = new ArrayList<>();

        @Override
        public void dropEntry(long parent, byte[] name) {
            dropped.add("entry " + parent + "/" + new String(name, StandardCharsets.UTF_8));
        }

        @Override
        public void dropAttributes(long node) {
            dropped.add("attributes " + node);
        }
    }

    private static byte[] name(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private final Kernel kernel = new Kernel();
    private final SharedAnswers answers = new SharedAnswers();

    private SharedAnswers attached() {
        answers.attach(kernel);
        return answers;
    }

    @Test
    void nothingIsKeptBeforeTheKernelCanBeToldToDropIt() {
        answers.join("a", List.of("L1"), p -> true, false);
        assertFalse(answers.share(answers.baseOf("a"), "dir/file", 5, name("file"), false, 0));
        assertEquals(0, answers.remembered());
    }

    @Test
    void runtimesOnOneBaseShareAndOnTwoBasesDoNot() {
        SharedAnswers s = attached();
        s.join("a", List.of("L1"), p -> true, false);
        s.join("b", List.of("L1"), p -> true, false);
        assertTrue(s.share(s.baseOf("a"), "dir/file", 5, name("file"), false, 0));
        assertTrue(s.share(s.baseOf("b"), "dir", 1, name("dir"), true, 5));
        assertEquals(List.of(), kernel.dropped, "a runtime on the same base drops nothing");
        s.join("c", List.of("L2"), path -> path.equals("dir"), false);
        // the file's entry goes; the directory's entry stays (a directory there too), its attributes go
        assertEquals(List.of("attributes 5", "entry 5/file"), kernel.dropped.stream().sorted().toList());
        assertFalse(s.share(s.baseOf("a"), "dir/file", 5, name("file"), false, 0), "two bases: nothing is kept");
        s.leave("c");
        assertTrue(s.share(s.baseOf("a"), "dir/file", 5, name("file"), false, 0), "one base again");
    }

    @Test
    void aDivergingViewFindsWhatWasKeptAndNothingIsKeptForItsPathsUntilItLeaves() {
        SharedAnswers s = attached();
        s.join("reader", List.of("L1"), p -> true, false);
        SharedAnswers.Base base = s.baseOf("reader");
        assertTrue(s.share(base, "dir", 1, name("dir"), true, 7));
        assertTrue(s.share(base, "dir/file", 7, name("file"), false, 0));
        assertTrue(s.share(base, "dir/sub/deep", 9, name("deep"), true, 0));
        assertTrue(s.share(base, "dir/kept-file", 7, name("kept-file"), false, 0));
        s.join("editor", List.of("L1"), p -> true, true);
        assertEquals(List.of("entry 7/file", "entry 7/kept-file"), kernel.dropped.stream().sorted().toList(),
                "an editable runtime joining: file entries go (its files have ids of its own)");
        assertFalse(s.share(base, "dir/other", 7, name("other"), false, 0), "no file entry while an editable runtime runs");
        assertTrue(s.share(base, "dir/file", 7, name("file"), true, 0), "(kept again, as a directory, for what follows)");
        kernel.dropped.clear();

        SharedAnswers.Divergence listing = s.diverge("editor", "dir", false);
        assertFalse(listing.entryKept(), "a directory gaining a name keeps its entry");
        assertEquals(List.of(7L), listing.dropAttributes());
        assertTrue(s.remembers("dir"), "its entry is still kept");
        SharedAnswers.Divergence file = s.diverge("editor", "dir/file", true);
        assertTrue(file.entryKept(), "a kept entry means the walk is asked again");
        assertEquals(SharedAnswers.Divergence.NONE, s.diverge("editor", "dir/file", true), "marked once");
        assertFalse(s.share(base, "dir/file", 7, name("file"), false, 0));
        assertFalse(s.share(base, "dir", 1, name("dir"), true, 7), "its listing changed");

        assertTrue(s.diverge("editor", "dir/sub", true).entryKept(), "an entry kept below a replaced directory");
        assertFalse(s.share(base, "dir/sub/deep", 9, name("deep"), false, 0), "below a replaced directory");
        assertTrue(s.replaced("dir/sub"));
        assertFalse(s.replaced("dir"));

        s.leave("editor");
        assertTrue(s.share(base, "dir/sub/deep", 9, name("deep"), false, 0), "its marks went with it, and no editable runtime runs");
        assertTrue(s.marks().isEmpty());
    }

    @Test
    void theRootAndFullMemoryAreNeverShared() {
        SharedAnswers s = attached();
        s.join("a", List.of("L1"), p -> true, false);
        assertFalse(s.share(s.baseOf("a"), "", 0, null, true, 1), "the root's listing differs from the default view's");
        assertFalse(s.share(null, "x", 1, name("x"), false, 0), "a view on no base (the default view)");
    }
}
