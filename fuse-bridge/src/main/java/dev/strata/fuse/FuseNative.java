package dev.strata.fuse;

import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/** The system calls the bridge needs, through jnr-ffi. Buffers are direct and passed at position 0. */
final class FuseNative {
    static final boolean DARWIN = System.getProperty("os.name", "").startsWith("Mac");
    static final int O_RDWR = 2;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = DARWIN ? 0x1000000 : 02000000;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;
    static final int EINTR = 4;
    static final int ENOENT = 2;
    static final int EAGAIN = DARWIN ? 35 : 11;
    static final int ENODEV = 19;
    static final int ETIMEDOUT = DARWIN ? 60 : 110;
    /** fcntl(2) and poll(2), Linux's numbers: only a connection taken from another process (Linux only) uses them. */
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 04000;
    static final short POLLIN = 1;
    /** pidfd_open(2) and pidfd_getfd(2): the same numbers on x86_64 and aarch64. */
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_PIDFD_GETFD = 438;
    /** lseek(2) whences: Linux and macOS number them the other way round. */
    static final int SEEK_DATA = DARWIN ? 4 : 3;
    static final int SEEK_HOLE = DARWIN ? 3 : 4;
    /** _IOW(229, 1, struct fuse_backing_map). */
    static final long FUSE_DEV_IOC_BACKING_OPEN = 0x4010E501L;
    /** _IOW(229, 2, uint32_t). */
    static final long FUSE_DEV_IOC_BACKING_CLOSE = 0x4004E502L;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        int open(String path, int flags);

        int close(int fd);

        long read(int fd, @Out ByteBuffer buf, long count);

        long write(int fd, @In ByteBuffer buf, long count);

        int mount(String source, String target, String type, long flags, String data);

        int umount2(String target, int flags);

        /** macOS's unmount(2). */
        int unmount(String target, int flags);

        int ioctl(int fd, long request, @In ByteBuffer arg);

        String strerror(int errno);

        int open(String path, int flags, int mode);

        long pread(int fd, @Out ByteBuffer buf, long count, long offset);

        long pwrite(int fd, @In ByteBuffer buf, long count, long offset);

        int fallocate(int fd, int mode, long offset, long length);

        long lseek(int fd, long offset, int whence);

        long copy_file_range(int fdIn, @In @Out long[] offIn, int fdOut, @In @Out long[] offOut, long len, int flags);

        int fsync(int fd);

        int fdatasync(int fd);

        int geteuid();

        int getegid();

        int socketpair(int domain, int type, int protocol, @Out int[] sv);

        int posix_spawnp(@Out int[] pid, String file, jnr.ffi.Pointer fileActions, jnr.ffi.Pointer attributes, jnr.ffi.Pointer argv,
                         jnr.ffi.Pointer envp);

        int waitpid(int pid, @Out int[] status, int options);

        long recvmsg(int fd, jnr.ffi.Pointer message, int flags);

        int fcntl(int fd, int command, int argument);

        int poll(@In @Out ByteBuffer fds, long count, int timeoutMillis);

        long syscall(long number, long first, long second, long third);
    }

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private FuseNative() {
    }

    static int errno() {
        return RUNTIME.getLastError();
    }

    static String describe(int errno) {
        return LIBC.strerror(errno) + " (errno " + errno + ")";
    }
}
