package dev.strata.persistence;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The file calls whose signatures Linux and macOS share (only some constants differ); each
 * platform's {@link HostFs} adds the calls where they part: xattrs, stat, mknod's dev_t, cloning.
 */
abstract class PosixHostFs implements HostFs {
    /** libc's POSIX calls, as jnr-ffi binds them. */
    public interface Posix {
        long readlink(@In byte[] path, @Out byte[] buf, long size);

        int symlink(@In byte[] target, @In byte[] linkPath);

        int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

        int lchown(@In byte[] path, int uid, int gid);

        int chmod(@In byte[] path, int mode);

        String strerror(int errno);
    }

    private final Posix posix = LibraryLoader.create(Posix.class).load("c");
    private final Runtime runtime = Runtime.getRuntime(posix);
    private final int atFdcwd;
    private final int atSymlinkNofollow;

    PosixHostFs(int atFdcwd, int atSymlinkNofollow) {
        this.atFdcwd = atFdcwd;
        this.atSymlinkNofollow = atSymlinkNofollow;
    }

    /** The errno of this thread's last call. */
    protected final int errno() {
        return runtime.getLastError();
    }

    protected final IOException failure(String call, Path path) {
        int e = errno();
        return new IOException(call + " " + path + ": " + posix.strerror(e) + " (errno " + e + ")");
    }

    @Override
    public final byte[] readlink(Path link) throws IOException {
        byte[] p = NativeFs.c(link);
        for (int size = 256; ; size *= 4) {
            byte[] buf = new byte[size];
            long n = posix.readlink(p, buf, size);
            if (n < 0) {
                throw failure("readlink", link);
            }
            if (n < size) {
                return Arrays.copyOf(buf, (int) n);
            }
        }
    }

    @Override
    public final void symlink(byte[] target, Path link) throws IOException {
        if (posix.symlink(Arrays.copyOf(target, target.length + 1), NativeFs.c(link)) != 0) {
            throw failure("symlink", link);
        }
    }

    @Override
    public final void setTimes(Path path, long atimeNanos, long mtimeNanos) throws IOException {
        long[] times = {
                Math.floorDiv(atimeNanos, 1_000_000_000L), Math.floorMod(atimeNanos, 1_000_000_000L),
                Math.floorDiv(mtimeNanos, 1_000_000_000L), Math.floorMod(mtimeNanos, 1_000_000_000L)};
        if (posix.utimensat(atFdcwd, NativeFs.c(path), times, atSymlinkNofollow) != 0) {
            throw failure("utimensat", path);
        }
    }

    /** chmod(2) by path: unlike Java's attribute views it never opens the file (which blocks on a FIFO). */
    @Override
    public final void chmod(Path path, int mode) throws IOException {
        if (posix.chmod(NativeFs.c(path), mode) != 0) {
            throw failure("chmod", path);
        }
    }

    @Override
    public final void lchown(Path path, int uid, int gid) throws IOException {
        if (posix.lchown(NativeFs.c(path), uid, gid) != 0) {
            throw failure("lchown", path);
        }
    }
}
