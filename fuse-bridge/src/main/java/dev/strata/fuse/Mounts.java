package dev.strata.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Mount table chores: finding and clearing a stale mount a killed daemon left behind. */
public final class Mounts {
    private static final Logger log = LoggerFactory.getLogger(Mounts.class);

    private Mounts() {
    }

    /** True when /proc/self/mountinfo lists a FUSE mount at {@code mountpoint}. */
    public static boolean isFuseMounted(Path mountpoint) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length > 4 && unescape(f[4]).equals(mountpoint.toString()) && dash > 0
                        && line.substring(dash + 3).startsWith("fuse")) {
                    return true;
                }
            }
        } catch (IOException e) {
            log.warn("cannot read the mount table: {}", e.toString());
        }
        return false;
    }

    /** Detaches a leftover FUSE mount ("Transport endpoint is not connected") at the mount point. */
    public static void clearStale(Path mountpoint) {
        if (isFuseMounted(mountpoint)) {
            log.warn("clearing a stale FUSE mount at {} left by an earlier daemon", mountpoint);
            unmount(mountpoint);
        }
    }

    public static void unmount(Path mountpoint) {
        if (FuseNative.LIBC.umount2(mountpoint.toString(), FuseNative.MNT_DETACH) != 0 && isFuseMounted(mountpoint)) {
            log.warn("umount {} failed: {}", mountpoint, FuseNative.describe(FuseNative.errno()));
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
