package dev.strata.persistence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * macOS's file calls, through jnr-ffi: xattrs take a position (for resource forks) and
 * XATTR_NOFOLLOW instead of l-prefixed names, lstat's struct stat has its own layout, and APFS
 * clones a file with clonefile(2), the copy-up and render path where Linux uses FICLONE. Not run
 * in CI (Linux); its struct layout is unit-tested from a fixture.
 */
final class DarwinHostFs extends PosixHostFs {
    private static final int AT_FDCWD = -2;
    private static final int AT_SYMLINK_NOFOLLOW = 0x20;
    private static final int XATTR_NOFOLLOW = 1;
    private static final int CLONE_NOFOLLOW = 1;
    private static final int ERANGE = 34;
    private static final int ENOTSUP = 45;
    private static final int EXDEV = 18;
    private static final int ENOATTR = 93;
    /** sizeof(struct stat) with 64-bit inodes. */
    static final int STAT_SIZE = 144;

    /** libc, as jnr-ffi binds it (macOS's signatures). */
    public interface LibC {
        long listxattr(@In byte[] path, @Out byte[] list, long size, int options);

        long getxattr(@In byte[] path, String name, @Out byte[] value, long size, int position, int options);

        int setxattr(@In byte[] path, String name, @In byte[] value, long size, int position, int options);

        int mknod(@In byte[] path, int mode, int dev);

        int lstat(@In byte[] path, @Out byte[] buf);

        int clonefile(@In byte[] source, @In byte[] target, int flags);
    }

    private final LibC libc = LibraryLoader.create(LibC.class).load("c");

    DarwinHostFs() {
        super(AT_FDCWD, AT_SYMLINK_NOFOLLOW);
    }

    @Override
    public SortedMap<String, byte[]> xattrs(Path path) throws IOException {
        byte[] p = NativeFs.c(path);
        SortedMap<String, byte[]> out = new TreeMap<>();
        long size = libc.listxattr(p, null, 0, XATTR_NOFOLLOW);
        if (size < 0) {
            if (errno() == ENOTSUP) {
                return out;
            }
            throw failure("listxattr", path);
        }
        byte[] list = new byte[(int) size];
        size = size == 0 ? 0 : libc.listxattr(p, list, list.length, XATTR_NOFOLLOW);
        if (size < 0) {
            throw failure("listxattr", path);
        }
        int start = 0;
        for (int i = 0; i < size; i++) {
            if (list[i] == 0) {
                String name = new String(list, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                long length = libc.getxattr(p, name, null, 0, 0, XATTR_NOFOLLOW);
                if (length < 0) {
                    if (errno() == ENOATTR) {
                        continue;
                    }
                    throw failure("getxattr " + name, path);
                }
                byte[] value = new byte[(int) length];
                long got = libc.getxattr(p, name, value, value.length, 0, XATTR_NOFOLLOW);
                if (got < 0 && errno() != ERANGE) {
                    throw failure("getxattr " + name, path);
                }
                out.put(name, got >= 0 && got < length ? Arrays.copyOf(value, (int) got) : value);
            }
        }
        return out;
    }

    @Override
    public void setXattr(Path path, String name, byte[] value) throws IOException {
        if (libc.setxattr(NativeFs.c(path), name, value, value.length, 0, XATTR_NOFOLLOW) != 0) {
            throw failure("setxattr " + name, path);
        }
    }

    @Override
    public NativeFs.Stat stat(Path path) throws IOException {
        byte[] buf = new byte[STAT_SIZE];
        if (libc.lstat(NativeFs.c(path), buf) != 0) {
            throw failure("lstat", path);
        }
        return parseStat(buf);
    }

    /**
     * struct stat (64-bit inodes): dev, mode, nlink, ino, uid, gid, rdev, then atime, mtime, ctime
     * and birthtime as timespecs from offset 32, size at 96 and blocks at 104.
     */
    static NativeFs.Stat parseStat(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return new NativeFs.Stat(b.getLong(96), b.getLong(104), timespec(b, 32), timespec(b, 48), timespec(b, 64));
    }

    private static long timespec(ByteBuffer b, int at) {
        return b.getLong(at) * 1_000_000_000L + b.getLong(at + 8);
    }

    /** Java's view of the volume: macOS's statvfs counts in 32 bits, too few for a large disk. */
    @Override
    public NativeFs.Space space(Path path) throws IOException {
        var store = Files.getFileStore(path);
        return new NativeFs.Space(1, store.getTotalSpace(), store.getUnallocatedSpace(), store.getUsableSpace(), 0, 0);
    }

    @Override
    public void mknod(Path path, int modeWithType, long rdev) throws IOException {
        if (libc.mknod(NativeFs.c(path), modeWithType, (int) rdev) != 0) {
            throw failure("mknod", path);
        }
    }

    /** clonefile(2) on APFS (it also clones mode and xattrs, as the copy-up sets them after); a copy elsewhere. */
    @Override
    public boolean clone(Path source, Path target, boolean copyOtherwise) throws IOException {
        if (libc.clonefile(NativeFs.c(source), NativeFs.c(target), CLONE_NOFOLLOW) == 0) {
            return true;
        }
        int e = errno();
        if (e != ENOTSUP && e != EXDEV) {
            throw failure("clonefile to", target);
        }
        if (copyOtherwise) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
        return false;
    }
}
