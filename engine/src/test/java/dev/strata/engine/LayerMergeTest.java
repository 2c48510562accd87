package dev.strata.engine;

import static dev.strata.engine.Layers.describe;
import static dev.strata.engine.Layers.layer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Manifest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class LayerMergeTest {
    static Stream<Arguments> rules() {
        return Stream.of(
                Arguments.of("upper file replaces lower file",
                        List.of(layer("f a=lower"), layer("f a=upper!")),
                        List.of("a=6b")),
                Arguments.of("disjoint names are united",
                        List.of(layer("f a=1"), layer("f b=22")),
                        List.of("a=1b", "b=2b")),
                Arguments.of("whiteout hides a lower file",
                        List.of(layer("f a=1", "f b=1"), layer("w a")),
                        List.of("b=1b")),
                Arguments.of("whiteout hides a lower directory and its subtree",
                        List.of(layer("d x", "d x/y", "f x/y/z=1"), layer("w x")),
                        List.of()),
                Arguments.of("whiteout over nothing shows nothing",
                        List.of(layer("f a=1"), layer("w ghost")),
                        List.of("a=1b")),
                Arguments.of("a name re-added above a whiteout comes back",
                        List.of(layer("f a=1"), layer("w a"), layer("f a=333")),
                        List.of("a=3b")),
                Arguments.of("directories merge",
                        List.of(layer("d x", "f x/low=1"), layer("d x", "f x/up=22")),
                        List.of("x/", "x/low=1b", "x/up=2b")),
                Arguments.of("opaque directory hides everything below it",
                        List.of(layer("d x", "f x/low=1", "d x/sub", "f x/sub/deep=1"), layer("o x", "f x/up=22")),
                        List.of("x/", "x/up=2b")),
                Arguments.of("an opaque directory in the middle cuts off only what is below it",
                        List.of(layer("d x", "f x/one=1"), layer("o x", "f x/two=22"), layer("d x", "f x/three=333")),
                        List.of("x/", "x/three=3b", "x/two=2b")),
                Arguments.of("a directory over a file replaces it",
                        List.of(layer("f x=1"), layer("d x", "f x/in=22")),
                        List.of("x/", "x/in=2b")),
                Arguments.of("a file over a directory replaces the whole subtree",
                        List.of(layer("d x", "f x/in=22"), layer("f x=1")),
                        List.of("x=1b")),
                Arguments.of("a symlink over a directory replaces it",
                        List.of(layer("d x", "f x/in=1"), layer("l x->elsewhere")),
                        List.of("x->elsewhere")),
                Arguments.of("a directory under a file in the middle does not leak through",
                        List.of(layer("d x", "f x/old=1"), layer("f x=22"), layer("d x", "f x/new=333")),
                        List.of("x/", "x/new=3b")),
                Arguments.of("deep paths merge level by level",
                        List.of(layer("d a", "d a/b", "d a/b/c", "f a/b/c/low=1"),
                                layer("d a", "d a/b", "d a/b/c", "d a/b/c/d", "f a/b/c/d/up=22", "w a/b/c/low")),
                        List.of("a/", "a/b/", "a/b/c/", "a/b/c/d/", "a/b/c/d/up=2b")),
                Arguments.of("an opaque root hides every lower layer",
                        List.of(layer("f a=1"), layer("o keep", "f keep/x=1"), rootOpaque()),
                        List.of("only=1b")),
                Arguments.of("an empty stack is an empty directory",
                        List.of(),
                        List.of()));
    }

    private static Manifest rootOpaque() {
        Manifest.Builder b = Manifest.builder(dev.strata.persistence.Entry.directory(0755, 0, 0, 0).withOpaque(true));
        b.add(0, "only".getBytes(), Layers.file("1"));
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void mergeFollowsOverlayRules(String rule, List<Manifest> bottomUp, List<String> expected) {
        Manifest merged = LayerMerge.merge(bottomUp);
        assertEquals(expected, describe(merged), rule);
        for (int n = 0; n < merged.count(); n++) {
            assertFalse(merged.isOpaque(n), "no opaque flags survive a merge");
            assertFalse(merged.kind(n) == EntryKind.WHITEOUT, "no whiteouts survive a merge");
        }
    }

    @Test
    void upperDirectoryAttributesWin() {
        Manifest lower = layer("d x");
        Manifest upper = dev.strata.persistence.TreeBuilder.withDefaultRoot()
                .put("x", dev.strata.persistence.Entry.directory(0700, 5, 6, 99)).build();
        Manifest merged = LayerMerge.merge(List.of(lower, upper));
        int x = merged.find("x");
        assertEquals(0700, merged.mode(x));
        assertEquals(5, merged.uid(x));
        assertEquals(99, merged.mtimeNanos(x));
    }

    @Test
    void hardLinkGroupsStayApartAcrossLayersAndCountSurvivors() {
        Manifest lower = layer("h 1 a=same", "h 1 b=same", "h 1 c=same");
        Manifest upper = layer("h 1 d=other", "h 1 e=other", "w c");
        View view = new View(LayerMerge.merge(List.of(lower, upper)), null);
        Manifest m = view.manifest();
        assertEquals(view.attributes(m.find("a")).ino(), view.attributes(m.find("b")).ino());
        assertEquals(2, view.attributes(m.find("a")).nlink(), "c was whited out");
        assertEquals(view.attributes(m.find("d")).ino(), view.attributes(m.find("e")).ino());
        assertFalse(view.attributes(m.find("a")).ino() == view.attributes(m.find("d")).ino());
    }
}
