package dev.strata.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Mounting without root, as libfuse does it: the setuid {@code fusermount3} opens /dev/fuse, mounts
 * it for the calling user (nosuid, nodev, and visible to that user only: no allow_other) and sends the
 * descriptor back ({@link DescriptorPassing}).
 */
final class Fusermount {
    static final String PROGRAM = "fusermount3";

    private Fusermount() {
    }

    /** Whether this process mounts through fusermount3 rather than mount(2): it is not root. */
    static boolean needed() {
        return FuseNative.LIBC.geteuid() != 0;
    }

    /** Mounts a FUSE file system of this user at {@code mountpoint}; returns its /dev/fuse descriptor. */
    static int mount(Path mountpoint) throws IOException {
        String options = "rootmode=40000,user_id=" + FuseNative.LIBC.geteuid() + ",group_id=" + FuseNative.LIBC.getegid()
                + ",fsname=strata,subtype=strata";
        try (DescriptorPassing.Exchange exchange = DescriptorPassing.spawn(List.of(PROGRAM, "-o", options, "--", mountpoint.toString()),
                List.of("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"))) {
            int fd = exchange.receive();
            int exit = exchange.waitForExit();
            if (fd < 0) {
                throw new IOException(PROGRAM + " did not mount " + mountpoint + " (exit " + exit + "; it says why on stderr)");
            }
            return fd;
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

}
