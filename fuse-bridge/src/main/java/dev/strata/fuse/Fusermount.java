package dev.strata.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Mounting without root, as libfuse does it: the setuid {@code fusermount3} opens /dev/fuse, mounts
 * it for the calling user (nosuid, nodev, and visible to that user only: no allow_other) and sends the
 * descriptor back over a Unix socket named by {@code _FUSE_COMMFD} (one byte, the descriptor as
 * SCM_RIGHTS). macFUSE's {@code mount_macfuse} speaks the same protocol.
 */
final class Fusermount {
    static final String PROGRAM = "fusermount3";
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    /** struct msghdr on 64-bit Linux: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad). */
    private static final int MSGHDR_SIZE = 56;
    /** CMSG_SPACE(sizeof(int)): a cmsghdr (len, level, type) of 16 bytes and the descriptor, aligned to 8. */
    private static final int CONTROL_SIZE = 24;

    private Fusermount() {
    }

    /** Whether this process mounts through fusermount3 rather than mount(2): it is not root. */
    static boolean needed() {
        return FuseNative.LIBC.geteuid() != 0;
    }

    /** Mounts a FUSE file system of this user at {@code mountpoint}; returns its /dev/fuse descriptor. */
    static int mount(Path mountpoint) throws IOException {
        int[] pair = new int[2];
        if (FuseNative.LIBC.socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
            throw new IOException("socketpair: " + FuseNative.describe(FuseNative.errno()));
        }
        int ours = pair[0];
        int theirs = pair[1]; // inherited by fusermount3 (no close-on-exec), closed here once it runs
        try {
            String options = "rootmode=40000,user_id=" + FuseNative.LIBC.geteuid() + ",group_id=" + FuseNative.LIBC.getegid()
                    + ",fsname=strata,subtype=strata";
            int pid = spawn(List.of(PROGRAM, "-o", options, "--", mountpoint.toString()),
                    List.of("_FUSE_COMMFD=" + theirs, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
            FuseNative.LIBC.close(theirs);
            theirs = -1;
            int fd = receiveDescriptor(ours);
            int[] status = new int[1];
            FuseNative.LIBC.waitpid(pid, status, 0);
            int exit = (status[0] >> 8) & 0xff;
            if (fd < 0) {
                throw new IOException(PROGRAM + " did not mount " + mountpoint + " (exit " + exit + "; it says why on stderr)");
            }
            return fd;
        } finally {
            FuseNative.LIBC.close(ours);
            if (theirs >= 0) {
                FuseNative.LIBC.close(theirs);
            }
        }
    }

    /** Detaches this user's FUSE mount at {@code mountpoint} (lazily, as umount -l). */
    static boolean unmount(Path mountpoint) {
        try {
            Process p = new ProcessBuilder(PROGRAM, "-u", "-z", "--", mountpoint.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** posix_spawnp with this process's descriptors (a JVM's ProcessBuilder would close the socket in the child). */
    private static int spawn(List<String> argv, List<String> env) throws IOException {
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

    /** The descriptor fusermount3 sends (SCM_RIGHTS), or -1 when it sends none (the mount failed). */
    private static int receiveDescriptor(int socket) {
        Pointer data = Memory.allocateDirect(FuseNative.RUNTIME, 1, true);
        Pointer iov = Memory.allocateDirect(FuseNative.RUNTIME, 16, true);
        iov.putAddress(0, data.address());
        iov.putLong(8, 1);
        Pointer control = Memory.allocateDirect(FuseNative.RUNTIME, CONTROL_SIZE, true);
        Pointer message = Memory.allocateDirect(FuseNative.RUNTIME, MSGHDR_SIZE, true);
        message.putAddress(16, iov.address());
        message.putLong(24, 1);
        message.putAddress(32, control.address());
        message.putLong(40, CONTROL_SIZE);
        long n;
        do {
            n = FuseNative.LIBC.recvmsg(socket, message, 0);
        } while (n < 0 && FuseNative.errno() == FuseNative.EINTR);
        java.lang.ref.Reference.reachabilityFence(data);
        java.lang.ref.Reference.reachabilityFence(iov);
        if (n <= 0 || message.getLong(40) < 20 || control.getInt(8) != SOL_SOCKET || control.getInt(12) != SCM_RIGHTS) {
            return -1;
        }
        return control.getInt(16);
    }
}
