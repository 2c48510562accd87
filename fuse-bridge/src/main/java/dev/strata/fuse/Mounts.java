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
        String mounted = mountedAt(mountpoint);
        return mounted != null && mounted.startsWith("fuse");
    }

    /** "type source" of what /proc/self/mountinfo lists at {@code mountpoint} (the topmost), or null. */
    static String mountedAt(Path mountpoint) {
        String found = null;
        Path table = Path.of("/proc/self/mountinfo");
        if (!Files.exists(table)) {
            return null; // macOS: a dead macFUSE mount is detached by its kernel extension, not found here
        }
        try {
            for (String line : Files.readAllLines(table, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length > 4 && unescape(f[4]).equals(mountpoint.toString()) && dash > 0) {
                    String[] tail = line.substring(dash + 3).split(" ");
                    found = tail[0] + (tail.length > 1 ? " " + unescape(tail[1]) : "");
                }
            }
        } catch (IOException e) {
            log.warn("cannot read the mount table: {}", e.toString());
        }
        return found;
    }

    /**
     * Detaches a FUSE mount a killed daemon left at the mount point (its every stat answers ENOTCONN).
     * Any other mount there, a live Strata daemon's or another file system's, is refused: it is never
     * taken over.
     */
    public static void clearStale(Path mountpoint) throws IOException {
        String mounted = mountedAt(mountpoint);
        if (mounted == null) {
            return;
        }
        try {
            Files.readAttributes(mountpoint, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.FileSystemException e) {
            if (String.valueOf(e.getReason()).contains("not connected")) {
                log.warn("clearing a dead FUSE mount at {} left by an earlier daemon", mountpoint);
                unmount(mountpoint);
                return;
            }
        }
        throw new IOException("a live file system (" + mounted + ") is mounted at " + mountpoint
                + ": it is not taken over; stop whoever serves it, or choose another mount point");
    }

    public static void unmount(Path mountpoint) {
        if (Fusermount.needed()) {
            if (!Fusermount.unmount(mountpoint) && isFuseMounted(mountpoint)) {
                log.warn("{} -u {} failed", Fusermount.PROGRAM, mountpoint);
            }
        } else if (FuseNative.LIBC.umount2(mountpoint.toString(), FuseNative.MNT_DETACH) != 0 && isFuseMounted(mountpoint)) {
            log.warn("umount {} failed: {}", mountpoint, FuseNative.describe(FuseNative.errno()));
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
