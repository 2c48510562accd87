package dev.strata.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * The protocol by which a privileged mount helper hands back an open /dev/fuse: libfuse's
 * {@code fusermount3} on Linux and macFUSE's {@code mount_macfuse} both take one end of a Unix
 * socket pair, named by the {@code _FUSE_COMMFD} environment variable, and send one byte carrying
 * the descriptor as SCM_RIGHTS. The message layouts differ (socklen_t and cmsg alignment), so
 * both are here.
 */
final class DescriptorPassing {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SCM_RIGHTS = 1;
    private static final Layout LAYOUT = FuseNative.DARWIN
            // struct msghdr: name, namelen (u32), iov, iovlen (int), control, controllen (u32), flags; cmsghdr of 12 bytes
            ? new Layout(48, 24, 40, 16, 0xffff, 4, 8, 12)
            // struct msghdr: name, namelen (+pad), iov, iovlen (size_t), control, controllen (size_t), flags; cmsghdr of 16 bytes
            : new Layout(56, 24, 40, 24, 1, 8, 12, 16);

    /** Offsets of struct msghdr and struct cmsghdr fields, and SOL_SOCKET, on one platform. */
    private record Layout(int messageSize, int iovLengthAt, int controlLengthAt, int controlSize, int solSocket, int levelAt,
                          int typeAt, int dataAt) {
    }

    private DescriptorPassing() {
    }

    /** A helper started with one end of the socket; the other end is ours until {@link #close}. */
    static final class Exchange implements AutoCloseable {
        private final int socket;
        private final int pid;

        private Exchange(int socket, int pid) {
            this.socket = socket;
            this.pid = pid;
        }

        /** The descriptor the helper sends, or -1 when it sends none (its mount failed). */
        int receive() {
            Pointer data = Memory.allocateDirect(FuseNative.RUNTIME, 1, true);
            Pointer iov = Memory.allocateDirect(FuseNative.RUNTIME, 16, true);
            iov.putAddress(0, data.address());
            iov.putLong(8, 1);
            Pointer control = Memory.allocateDirect(FuseNative.RUNTIME, LAYOUT.controlSize(), true);
            Pointer message = Memory.allocateDirect(FuseNative.RUNTIME, LAYOUT.messageSize(), true);
            message.putAddress(16, iov.address());
            message.putInt(LAYOUT.iovLengthAt(), 1);
            message.putAddress(32, control.address());
            message.putInt(LAYOUT.controlLengthAt(), LAYOUT.controlSize());
            long n;
            do {
                n = FuseNative.LIBC.recvmsg(socket, message, 0);
            } while (n < 0 && FuseNative.errno() == FuseNative.EINTR);
            java.lang.ref.Reference.reachabilityFence(data);
            java.lang.ref.Reference.reachabilityFence(iov);
            if (n <= 0 || message.getInt(LAYOUT.controlLengthAt()) < LAYOUT.dataAt() + 4
                    || control.getInt(LAYOUT.levelAt()) != LAYOUT.solSocket() || control.getInt(LAYOUT.typeAt()) != SCM_RIGHTS) {
                return -1;
            }
            return control.getInt(LAYOUT.dataAt());
        }

        /** The 4-byte status macFUSE's helper sends once the kernel has the mount (after INIT); -1 when it sends none. */
        int receiveStatus() {
            java.nio.ByteBuffer status = java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder());
            long n;
            do {
                n = FuseNative.LIBC.read(socket, status, 4);
            } while (n < 0 && FuseNative.errno() == FuseNative.EINTR);
            return n == 4 ? status.getInt(0) : -1;
        }

        /** Waits for the helper to end; its exit status. */
        int waitForExit() {
            int[] status = new int[1];
            FuseNative.LIBC.waitpid(pid, status, 0);
            return (status[0] >> 8) & 0xff;
        }

        @Override
        public void close() {
            FuseNative.LIBC.close(socket);
        }
    }

    /** Starts {@code argv} with {@code env} and {@code _FUSE_COMMFD} naming its end of a new socket pair. */
    static Exchange spawn(List<String> argv, List<String> env) throws IOException {
        int[] pair = new int[2];
        if (FuseNative.LIBC.socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
            throw new IOException("socketpair: " + FuseNative.describe(FuseNative.errno()));
        }
        int ours = pair[0];
        int theirs = pair[1]; // inherited by the helper (no close-on-exec), closed here once it runs
        try {
            List<String> environment = new ArrayList<>(env);
            environment.add("_FUSE_COMMFD=" + theirs);
            return new Exchange(ours, spawnp(argv, environment));
        } catch (IOException | RuntimeException e) {
            FuseNative.LIBC.close(ours);
            throw e;
        } finally {
            FuseNative.LIBC.close(theirs);
        }
    }

    /** posix_spawnp with this process's descriptors (a JVM's ProcessBuilder would close the socket in the child). */
    private static int spawnp(List<String> argv, List<String> env) throws IOException {
        List<Pointer> keep = new ArrayList<>(); // the strings stay reachable until the child has them
        int[] pid = new int[1];
        int error = FuseNative.LIBC.posix_spawnp(pid, argv.get(0), null, null, strings(argv, keep), strings(env, keep));
        java.lang.ref.Reference.reachabilityFence(keep);
        if (error != 0) {
            throw new IOException("cannot run " + argv.get(0) + ": " + FuseNative.describe(error));
        }
        return pid[0];
    }

    /** A NULL-terminated array of C strings. */
    private static Pointer strings(List<String> values, List<Pointer> keep) {
        int word = FuseNative.RUNTIME.addressSize();
        Pointer array = Memory.allocateDirect(FuseNative.RUNTIME, (values.size() + 1) * word, true);
        for (int i = 0; i < values.size(); i++) {
            byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer text = Memory.allocateDirect(FuseNative.RUNTIME, bytes.length + 1, true);
            text.put(0, bytes, 0, bytes.length);
            keep.add(text);
            array.putAddress((long) i * word, text.address());
        }
        keep.add(array);
        return array;
    }
}
