package dev.strata.ops;

import dev.strata.persistence.Repository;
import java.nio.file.Path;

/**
 * Where one Strata instance keeps all its state: {@code $STRATA_HOME}, by default
 * {@code ~/.local/share/strata}. Separate homes make independent instances on one machine.
 */
public record StrataHome(Path root) {
    public static final String VARIABLE = "STRATA_HOME";

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

    /** Where the daemon of this home listens unless configured otherwise ({@link StrataConfig#socket()}). */
    public Path socketPath() {
        return root.resolve("daemon").resolve("control.sock");
    }

    /**
     * Makes the home a daemon's: nothing in it readable by other users except the way to the control
     * socket. The home may be traversed (0711) but not listed; {@code daemon/} (the socket and the
     * address file) is 0755; the repository, runtimes and snapshots are 0700, so their content is
     * reachable only through the mount and its permission checks.
     */
    public void secure() throws java.io.IOException {
        java.nio.file.Files.createDirectories(root);
        chmod(root, "rwx--x--x");
        chmod(java.nio.file.Files.createDirectories(root.resolve("daemon")), "rwxr-xr-x");
        for (Path private_ : new Path[] {repositoryPath(), runtimesPath(), snapshotsPath()}) {
            chmod(java.nio.file.Files.createDirectories(private_), "rwx------");
        }
    }

    private static void chmod(Path dir, String mode) throws java.io.IOException {
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
    }

    public Repository repository() {
        return Repository.open(repositoryPath());
    }
}
