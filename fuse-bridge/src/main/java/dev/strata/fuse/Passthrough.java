package dev.strata.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * FUSE passthrough (kernel 6.9+): a file registered as a backing file is read and written by the
 * kernel directly, and no READ or WRITE reaches userspace. The kernel keeps its own reference to
 * the file, so the descriptor used to register it is closed at once.
 */
final class Passthrough {
    private Passthrough() {
    }

    /** Registers {@code file} (read-write when {@code writable}) and returns its backing id. */
    static int open(int fuseFd, Path file, boolean writable) throws IOException {
        int backing = FuseNative.LIBC.open(file.toString(), (writable ? FuseNative.O_RDWR : FuseNative.O_RDONLY) | FuseNative.O_CLOEXEC);
        if (backing < 0) {
            throw new IOException("open " + file + ": " + FuseNative.describe(FuseNative.errno()));
        }
        try {
            ByteBuffer map = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
            map.putInt(0, backing).putInt(4, 0).putLong(8, 0);
            int id = FuseNative.LIBC.ioctl(fuseFd, FuseNative.FUSE_DEV_IOC_BACKING_OPEN, map);
            if (id <= 0) {
                throw new IOException("FUSE_DEV_IOC_BACKING_OPEN " + file + ": " + FuseNative.describe(FuseNative.errno()));
            }
            return id;
        } finally {
            FuseNative.LIBC.close(backing);
        }
    }

    static void close(int fuseFd, int backingId) throws IOException {
        ByteBuffer id = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
        id.putInt(0, backingId);
        if (FuseNative.LIBC.ioctl(fuseFd, FuseNative.FUSE_DEV_IOC_BACKING_CLOSE, id) != 0) {
            throw new IOException("FUSE_DEV_IOC_BACKING_CLOSE " + backingId + ": " + FuseNative.describe(FuseNative.errno()));
        }
    }
}
