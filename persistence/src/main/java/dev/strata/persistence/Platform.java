package dev.strata.persistence;

import java.util.List;

/** An ordered stack of layers, bottom first. */
public record Platform(List<Digest> layers) implements RepoObject {
    public Platform {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a platform stacks at least one layer");
        }
    }
}
