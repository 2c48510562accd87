package dev.strata.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Mounting on macOS, as macFUSE's library does: its {@code mount_macfuse} helper loads the kernel
 * extension, opens a {@code /dev/macfuseN} device, sends the descriptor back ({@link
 * DescriptorPassing}, protocol version 2), and completes the mount once the daemon has answered
 * INIT, when it sends a status word on the same socket. Not exercised here (no macOS in CI);
 * kept compiling and shaped like the Linux path it shares its descriptor passing with.
 */
final class MacfuseMount {
    static final Path HELPER = Path.of("/Library/Filesystems/macfuse.fs/Contents/Resources/mount_macfuse");

    private MacfuseMount() {
    }

    /** Whether macFUSE is installed (its helper is there); without it the daemon runs degraded. */
    static boolean installed() {
        return Files.isExecutable(HELPER);
    }

    /** A device the helper opened, and the wait for its status after INIT. */
    record Mounted(int fd, DescriptorPassing.Exchange exchange) {
        /** After INIT is answered: the helper's verdict on the mount, and its exit. */
        void awaitMounted(Path mountpoint) throws IOException {
            try (exchange) {
                int status = exchange.receiveStatus();
                exchange.waitForExit();
                if (status != 0) {
                    throw new IOException("mount_macfuse did not mount " + mountpoint + " (status " + status + ")");
                }
            }
        }
    }

    static Mounted mount(Path mountpoint) throws IOException {
        if (!installed()) {
            throw new IOException("macFUSE is not installed (no " + HELPER + ")");
        }
        String options = "fsname=strata,volname=Strata,allow_other,noappledouble,noapplexattr";
        DescriptorPassing.Exchange exchange = DescriptorPassing.spawn(List.of(HELPER.toString(), "-o", options, mountpoint.toString()),
                List.of("_FUSE_COMMVERS=2", "_FUSE_CALL_BY_LIB=1", "_FUSE_DAEMON_PATH=" + ProcessHandle.current().info().command().orElse("java")));
        int fd = exchange.receive();
        if (fd < 0) {
            int exit = exchange.waitForExit();
            exchange.close();
            throw new IOException("mount_macfuse did not mount " + mountpoint + " (exit " + exit
                    + "; is the macFUSE system extension approved in System Settings?)");
        }
        return new Mounted(fd, exchange);
    }

    /** unmount(2) with MNT_FORCE, so busy processes do not keep the daemon from stopping. */
    static void unmount(Path mountpoint) {
        FuseNative.LIBC.unmount(mountpoint.toString(), 0x80000);
    }
}
