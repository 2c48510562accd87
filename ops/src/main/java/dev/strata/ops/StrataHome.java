package dev.strata.ops;

import dev.strata.persistence.Repository;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where one Strata instance keeps all its state: {@code $STRATA_HOME}, by default
 * {@code ~/.local/share/strata}. Separate homes make independent instances on one machine.
 */
public record StrataHome(Path root) {
    public static final String VARIABLE = "STRATA_HOME";

    public static StrataHome from(Map<String, String> env) {
        String configured = env.get(VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return new StrataHome(Path.of(configured).toAbsolutePath());
        }
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return new StrataHome(Path.of(userHome, ".local", "share", "strata"));
    }

    public Path repositoryPath() {
        return root.resolve("repo");
    }

    /** Editable runtimes: {@code runtimes/<name>/{runtime, scratch/}}. */
    public Path runtimesPath() {
        return root.resolve("runtimes");
    }

    /** Snapshots: {@code snapshots/<name>/snapshot}. */
    public Path snapshotsPath() {
        return root.resolve("snapshots");
    }

    public Repository repository() {
        return Repository.open(repositoryPath());
    }
}
