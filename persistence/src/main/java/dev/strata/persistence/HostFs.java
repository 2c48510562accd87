package dev.strata.persistence;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SortedMap;

/**
 * The operating system's file calls that Strata needs beyond Java's, one implementation per
 * platform: {@link LinuxHostFs} (statx, FICLONE, copy_file_range) and {@link DarwinHostFs} (lstat,
 * clonefile on APFS, xattrs with their position and XATTR_NOFOLLOW arguments). Paths are passed as
 * the exact bytes the kernel knows them by ({@link NativeFs#pathBytes}).
 */
public interface HostFs {
    byte[] readlink(Path link) throws IOException;

    void symlink(byte[] target, Path link) throws IOException;

    /** Every extended attribute, not following a final symlink; none where the file system has none. */
    SortedMap<String, byte[]> xattrs(Path path) throws IOException;

    void setXattr(Path path, String name, byte[] value) throws IOException;

    /** Size, blocks and times, not following a final symlink. */
    NativeFs.Stat stat(Path path) throws IOException;

    NativeFs.Space space(Path path) throws IOException;

    /** Sets atime and mtime to the nanosecond, not following a final symlink. */
    void setTimes(Path path, long atimeNanos, long mtimeNanos) throws IOException;

    void mknod(Path path, int modeWithType, long rdev) throws IOException;

    void chmod(Path path, int mode) throws IOException;

    void lchown(Path path, int uid, int gid) throws IOException;

    /**
     * Creates {@code target} (which must not exist) sharing {@code source}'s extents; where the file
     * system cannot, copies when {@code copyOtherwise}, else leaves no target. True for a clone.
     */
    boolean clone(Path source, Path target, boolean copyOtherwise) throws IOException;

    static HostFs forThisPlatform() {
        return System.getProperty("os.name", "").startsWith("Mac") ? new DarwinHostFs() : new LinuxHostFs();
    }
}
