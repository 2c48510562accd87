package dev.strata.ops.cli;

import dev.strata.engine.View;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.Repository;

/** Loads the merged view of an env spec from the repository. */
final class Views {
    private Views() {
    }

    static View load(Repository repo, String spec) {
        return View.of(repo.manifests(EnvSpec.parse(spec)), repo.blobs());
    }
}
