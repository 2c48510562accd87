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

    private FuseChannel(Path mountpoint, int fd, boolean unprivileged, MacfuseMount.Mounted macfuse) {
        this.mountpoint = mountpoint;
        this.fd = fd;
        this.unprivileged = unprivileged;
        this.macfuse = macfuse;
    }

    /** Mounts a new FUSE file system at {@code mountpoint} (an existing directory). */
    static FuseChannel mount(Path mountpoint) throws IOException {
        if (FuseNative.DARWIN) {
            MacfuseMount.Mounted m = MacfuseMount.mount(mountpoint);
            return new FuseChannel(mountpoint, m.fd(), false, m);
        }
        // Without root: fusermount3 mounts for this user alone, and passthrough (CAP_SYS_ADMIN) is off.
        boolean unprivileged = Fusermount.needed();
        return new FuseChannel(mountpoint, unprivileged ? Fusermount.mount(mountpoint) : mountAsRoot(mountpoint), unprivileged, null);
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
        long n = FuseNative.LIBC.read(fd, in, in.capacity());
        return n < 0 ? -FuseNative.errno() : n;
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

    /** Detaches the mount (lazily, so busy processes do not keep the daemon from stopping). */
    void unmount() {
        if (FuseNative.DARWIN) {
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
