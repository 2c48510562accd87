package dev.strata.fuse;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this machine can mount a FUSE file system for this process: a container without
 * /dev/fuse, a user without fusermount3, or a Mac without macFUSE (or with its system extension not
 * approved, which only the mount attempt tells) cannot, and the daemon then runs degraded.
 */
public final class FuseAvailability {
    private FuseAvailability() {
    }

    /** Why FUSE cannot be used here, or null when it can (as far as can be told without mounting). */
    public static String missing() {
        if (FuseNative.DARWIN) {
            return MacfuseMount.installed() ? null : "macFUSE is not installed (no " + MacfuseMount.HELPER + ")";
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return "there is no /dev/fuse (a container without the FUSE device?)";
        }
        if (Fusermount.needed()) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, Fusermount.PROGRAM))) {
                    return null;
                }
            }
            return "mounting as a user needs " + Fusermount.PROGRAM + " (Debian: apt-get install fuse3)";
        }
        int fd = FuseNative.LIBC.open("/dev/fuse", FuseNative.O_RDWR | FuseNative.O_CLOEXEC);
        if (fd < 0) {
            return "/dev/fuse cannot be opened: " + FuseNative.describe(FuseNative.errno());
        }
        FuseNative.LIBC.close(fd);
        return null;
    }
}
