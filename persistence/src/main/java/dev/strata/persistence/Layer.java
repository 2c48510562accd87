package dev.strata.persistence;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/** A manifest plus annotations (a commit message, an origin): the unit a platform stacks. */
public record Layer(Digest manifest, SortedMap<String, String> annotations) implements RepoObject {
    public Layer {
        annotations = Collections.unmodifiableSortedMap(new TreeMap<>(annotations));
    }

    public static Layer of(Digest manifest) {
        return new Layer(manifest, new TreeMap<>());
    }
}
