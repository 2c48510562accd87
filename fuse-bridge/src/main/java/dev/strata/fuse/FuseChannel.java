package dev.strata.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel connection's device: mounted at a mount point (by mount(2) as root, through
 * fusermount3 as a user, through mount_macfuse on macOS), read for requests and written with
 * answers, one whole message per read or write.
 */
final class FuseChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FuseChannel.class);
    private final Path mountpoint;
    private final int fd;
    private final boolean unprivileged;
    /** On macOS: the helper that completes the mount after INIT. */
    private final MacfuseMount.Mounted macfuse;
    /** Taken from the process that mounted it in its own mount namespace, which this process cannot unmount. */
    private final boolean adopted;
    private volatile boolean ending;
    private final ThreadLocal<ByteBuffer> pollFds = ThreadLocal.withInitial(() ->
            ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.nativeOrder()));

    private FuseChannel(Path mountpoint, int fd, boolean unprivileged, MacfuseMount.Mounted macfuse, boolean adopted) {
        this.mountpoint = mountpoint;
        this.fd = fd;
        this.unprivileged = unprivileged;
        this.macfuse = macfuse;
        this.adopted = adopted;
    }

    /** Mounts a new FUSE file system at {@code mountpoint} (an existing directory). */
    static FuseChannel mount(Path mountpoint) throws IOException {
        if (FuseNative.DARWIN) {
            MacfuseMount.Mounted m = MacfuseMount.mount(mountpoint);
            return new FuseChannel(mountpoint, m.fd(), false, m, false);
        }
        // Without root: fusermount3 mounts for this user alone, and passthrough (CAP_SYS_ADMIN) is off.
        boolean unprivileged = Fusermount.needed();
        return new FuseChannel(mountpoint, unprivileged ? Fusermount.mount(mountpoint) : mountAsRoot(mountpoint), unprivileged, null, false);
    }

    /**
     * Takes descriptor {@code fdInProcess} of process {@code pid}: a /dev/fuse that process mounted at
     * {@code mountpoint} in a mount namespace of its own (pidfd_getfd(2), which needs the right to
     * ptrace it). Nothing here can unmount it, so reads wait in poll(2) and see {@link #unmount()}; the
     * kernel ends the connection itself when the namespace's last process exits.
     */
    static FuseChannel adopt(int pid, int fdInProcess, Path mountpoint) throws IOException {
        if (FuseNative.DARWIN) {
            throw new IOException("a connection of its own is Linux only");
        }
        int pidfd = (int) FuseNative.LIBC.syscall(FuseNative.SYS_PIDFD_OPEN, pid, 0, 0);
        if (pidfd < 0) {
            throw new IOException("cannot reach process " + pid + ": " + FuseNative.describe(FuseNative.errno()));
        }
        int fd = (int) FuseNative.LIBC.syscall(FuseNative.SYS_PIDFD_GETFD, pidfd, fdInProcess, 0);
        int e = FuseNative.errno();
        FuseNative.LIBC.close(pidfd);
        if (fd < 0) {
            throw new IOException("cannot take descriptor " + fdInProcess + " of process " + pid + ": " + FuseNative.describe(e));
        }
        String device;
        try {
            device = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException notLink) {
            device = "?";
        }
        int flags = FuseNative.LIBC.fcntl(fd, FuseNative.F_GETFL, 0);
        if (!device.equals("/dev/fuse") || flags < 0 || FuseNative.LIBC.fcntl(fd, FuseNative.F_SETFL, flags | FuseNative.O_NONBLOCK) != 0) {
            FuseNative.LIBC.close(fd);
            throw new IOException("descriptor " + fdInProcess + " of process " + pid + " is not an open /dev/fuse");
        }
        return new FuseChannel(mountpoint, fd, false, null, true);
    }

    /** Whether this is a connection taken from another process ({@link #adopt}). */
    boolean adopted() {
        return adopted;
    }

    /** mount(2) of /dev/fuse for every user (allow_other); returns the descriptor. */
    private static int mountAsRoot(Path mp) throws IOException {
        int fd = FuseNative.LIBC.open("/dev/fuse", FuseNative.O_RDWR | FuseNative.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open /dev/fuse: " + FuseNative.describe(FuseNative.errno()));
        }
        // No default_permissions: the Mount checks permissions itself, so the kernel does not fetch the
        // (never cached, per view) attributes of every directory on every path walk.
        String data = "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0,allow_other";
        if (FuseNative.LIBC.mount("strata", mp.toString(), "fuse.strata", FuseNative.MS_NOSUID | FuseNative.MS_NODEV, data) != 0) {
            int e = FuseNative.errno();
            FuseNative.LIBC.close(fd);
            throw new IOException("cannot mount FUSE at " + mp + ": " + FuseNative.describe(e));
        }
        return fd;
    }

    /** Whether the mount was made for this user alone (fusermount3), so passthrough is not available. */
    boolean unprivileged() {
        return unprivileged;
    }

    /** The device descriptor: the open-file table registers passthrough backings on it. */
    int fd() {
        return fd;
    }

    /** After INIT is answered: on macOS the mount completes only now. */
    void initialized() throws IOException {
        if (macfuse != null) {
            macfuse.awaitMounted(mountpoint);
        }
    }

    /** Reads one request into {@code in} (from position 0); its length, or minus the errno. */
    long read(ByteBuffer in) {
        return read(in, Long.MAX_VALUE);
    }

    /** As {@link #read(ByteBuffer)}; an adopted channel gives up at {@code deadline} (System.nanoTime) with ETIMEDOUT. */
    long read(ByteBuffer in, long deadline) {
        while (true) {
            long n = FuseNative.LIBC.read(fd, in, in.capacity());
            if (n >= 0) {
                return n;
            }
            int e = FuseNative.errno();
            if (!adopted || e != FuseNative.EAGAIN) {
                return -e;
            }
            if (ending) {
                return -FuseNative.ENODEV;
            }
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) {
                return -FuseNative.ETIMEDOUT;
            }
            // an adopted device is non-blocking: wait for a request, and look at ending every 200 ms
            ByteBuffer fds = pollFds.get();
            fds.putInt(0, fd).putShort(4, FuseNative.POLLIN).putShort(6, (short) 0);
            FuseNative.LIBC.poll(fds, 1, 200);
        }
    }

    /** Writes one answer: the buffer's first {@code length} bytes. */
    void write(ByteBuffer out, int length) {
        long n = FuseNative.LIBC.write(fd, out, length);
        if (n < 0) {
            int e = FuseNative.errno();
            // ENOENT: the request was interrupted and is gone; ENODEV: unmounted meanwhile
            if (e != FuseNative.ENOENT && e != FuseNative.ENODEV) {
                log.warn("writing a reply failed: {}", FuseNative.describe(e));
            }
        }
    }

    /**
     * Detaches the mount (lazily, so busy processes do not keep the daemon from stopping). An adopted
     * one is in another mount namespace: its readers stop, and closing the device then ends the
     * connection, so its processes see ENOTCONN.
     */
    void unmount() {
        if (adopted) {
            ending = true;
        } else if (FuseNative.DARWIN) {
            MacfuseMount.unmount(mountpoint);
        } else {
            Mounts.unmount(mountpoint);
        }
    }

    @Override
    public void close() {
        FuseNative.LIBC.close(fd);
    }
}
