package dev.strata.persistence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/** Linux's file calls, through jnr-ffi: l*xattr, statx, utimensat, FICLONE and copy_file_range. */
final class LinuxHostFs extends PosixHostFs {
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_CLOEXEC = 02000000;
    private static final long FICLONE = 0x40049409L;
    private static final int ERANGE = 34;
    private static final int ENODATA = 61;
    private static final int ENOTSUP = 95;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        long llistxattr(@In byte[] path, @Out byte[] list, long size);

        long lgetxattr(@In byte[] path, String name, @Out byte[] value, long size);

        int lsetxattr(@In byte[] path, String name, @In byte[] value, long size, int flags);

        int mknod(@In byte[] path, int mode, long dev);

        int open(@In byte[] path, int flags, int mode);

        int close(int fd);

        int ioctl(int fd, long request, long arg);

        long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

        int statx(int dirfd, @In byte[] path, int flags, int mask, @Out byte[] buf);

        int statvfs(@In byte[] path, @Out byte[] buf);
    }

    private final LibC libc = LibraryLoader.create(LibC.class).load("c");

    LinuxHostFs() {
        super(AT_FDCWD, AT_SYMLINK_NOFOLLOW);
    }

    /** Every extended attribute of a path, not following a final symlink. */
    @Override
    public SortedMap<String, byte[]> xattrs(Path path) throws IOException {
        byte[] p = NativeFs.c(path);
        SortedMap<String, byte[]> out = new TreeMap<>();
        long size = libc.llistxattr(p, null, 0);
        if (size < 0) {
            if (errno() == ENOTSUP) {
                return out;
            }
            throw failure("llistxattr", path);
        }
        if (size == 0) {
            return out;
        }
        byte[] list = new byte[(int) size];
        size = libc.llistxattr(p, list, list.length);
        if (size < 0) {
            throw failure("llistxattr", path);
        }
        int start = 0;
        for (int i = 0; i < size; i++) {
            if (list[i] == 0) {
                String name = new String(list, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                byte[] value = xattr(p, path, name);
                if (value != null) {
                    out.put(name, value);
                }
            }
        }
        return out;
    }

    private byte[] xattr(byte[] p, Path path, String name) throws IOException {
        while (true) {
            long size = libc.lgetxattr(p, name, null, 0);
            if (size < 0) {
                if (errno() == ENODATA) {
                    return null;
                }
                throw failure("lgetxattr " + name, path);
            }
            byte[] value = new byte[(int) size];
            long got = libc.lgetxattr(p, name, value, value.length);
            if (got >= 0) {
                return got == size ? value : Arrays.copyOf(value, (int) got);
            }
            if (errno() != ERANGE) {
                throw failure("lgetxattr " + name, path);
            }
        }
    }

    @Override
    public void setXattr(Path path, String name, byte[] value) throws IOException {
        if (libc.lsetxattr(NativeFs.c(path), name, value, value.length, 0) != 0) {
            throw failure("lsetxattr " + name, path);
        }
    }

    private static final int STATX_BASIC_STATS = 0x7ff;

    /** statx(2), not following a final symlink; the struct is the same on every Linux architecture. */
    @Override
    public NativeFs.Stat stat(Path path) throws IOException {
        byte[] buf = new byte[256];
        if (libc.statx(AT_FDCWD, NativeFs.c(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0) {
            throw failure("statx", path);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        return new NativeFs.Stat(b.getLong(40), b.getLong(48), time(b, 64), time(b, 112), time(b, 96));
    }

    /** statvfs(2), in Linux's struct statvfs layout. */
    @Override
    public NativeFs.Space space(Path path) throws IOException {
        byte[] buf = new byte[128];
        if (libc.statvfs(NativeFs.c(path), buf) != 0) {
            throw failure("statvfs", path);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        return new NativeFs.Space(b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40), b.getLong(48));
    }

    private static long time(java.nio.ByteBuffer b, int offset) {
        return b.getLong(offset) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(offset + 8));
    }

    @Override
    public void mknod(Path path, int modeWithType, long rdev) throws IOException {
        if (libc.mknod(NativeFs.c(path), modeWithType, rdev) != 0) {
            throw failure("mknod", path);
        }
    }

    /** FICLONE where the file system shares extents (XFS, btrfs), else copy_file_range. */
    @Override
    public boolean clone(Path source, Path target, boolean copyOtherwise) throws IOException {
        int in = libc.open(NativeFs.c(source), O_RDONLY | O_CLOEXEC, 0);
        if (in < 0) {
            throw failure("open", source);
        }
        try {
            int out = libc.open(NativeFs.c(target), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (out < 0) {
                throw failure("open", target);
            }
            try {
                if (libc.ioctl(out, FICLONE, in) == 0) {
                    return true;
                }
                if (!copyOtherwise) {
                    java.nio.file.Files.deleteIfExists(target);
                    return false;
                }
                while (true) {
                    long n = libc.copy_file_range(in, null, out, null, 1L << 30, 0);
                    if (n == 0) {
                        return false;
                    }
                    if (n < 0) {
                        throw failure("copy_file_range to", target);
                    }
                }
            } finally {
                libc.close(out);
            }
        } finally {
            libc.close(in);
        }
    }
}
