package dev.strata.engine;

import static dev.strata.engine.Layers.layer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ViewDiffTest {
    @Test
    void diffListsAddedRemovedAndChangedPathsInTreeOrder() {
        var a = layer("d a", "f a/same=1", "f a/changed=1", "f gone=1", "d olddir", "f olddir/x=1", "f kind=1");
        var b = layer("d a", "f a/same=1", "f a/changed=22", "f a/new=1", "d newdir", "f newdir/y=1", "d kind", "f kind/z=1");
        List<String> changes = ViewDiff.diff(a, b).stream().map(ViewDiff.Change::toString).toList();
        assertEquals(List.of("~ /a/changed", "+ /a/new", "- /gone", "~ /kind", "+ /kind/z", "+ /newdir", "+ /newdir/y",
                "- /olddir", "- /olddir/x"), changes);
    }

    @Test
    void identicalViewsHaveNoDiff() {
        assertEquals(List.of(), ViewDiff.diff(layer("f x=1", "d y"), layer("f x=1", "d y")));
    }
}
