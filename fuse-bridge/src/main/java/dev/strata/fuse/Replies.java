package dev.strata.fuse;

import dev.strata.engine.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes answers to the kernel: a buffer per thread to encode a body into after the out header,
 * and one write per answer. Named errors get the platform's numbers from the codec; errors the
 * host's own calls return are passed on as they are (the host is the platform whose kernel asks).
 */
final class Replies {
    private final FuseChannel channel;
    private final KernelCodec codec;
    private final ThreadLocal<ByteBuffer> buffers =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(KernelCodec.OUT_HEADER + FuseKernel.MAX_WRITE).order(ByteOrder.LITTLE_ENDIAN));

    Replies(FuseChannel channel, KernelCodec codec) {
        this.channel = channel;
        this.codec = codec;
    }

    /** This thread's buffer, emptied, positioned for a body after the out header. */
    ByteBuffer body() {
        ByteBuffer out = buffers.get();
        out.clear();
        out.position(KernelCodec.OUT_HEADER);
        return out;
    }

    /** Sends the header and the body written into {@code out} (up to its position) in one write(2). */
    void send(ByteBuffer out, long unique) {
        send(out, unique, 0);
    }

    void empty(long unique) {
        send(body(), unique, 0);
    }

    /** Answers with a named error, in the platform's number. */
    void error(long unique, Errno errno) {
        hostError(unique, codec.errno(errno));
    }

    /** Answers with an error number the host's own calls gave. */
    void hostError(long unique, int errno) {
        send(body(), unique, -errno);
    }

    /** fuse_write_out: how much a WRITE or COPY_FILE_RANGE wrote. */
    void written(long unique, long written) {
        ByteBuffer out = body();
        codec.putWritten(out, written);
        send(out, unique, 0);
    }

    /** fuse_lseek_out: where a SEEK_DATA or SEEK_HOLE landed. */
    void offset(long unique, long offset) {
        ByteBuffer out = body();
        codec.putOffset(out, offset);
        send(out, unique, 0);
    }

    /**
     * Tells the kernel to drop what it keeps: a notification is an answer to no request (unique 0)
     * whose error field names it. ENOENT (nothing kept there) is not a failure.
     */
    void notifyKernel(ByteBuffer out, int code) {
        send(out, 0, code);
    }

    private void send(ByteBuffer out, long unique, int error) {
        int length = out.position();
        out.putInt(0, length).putInt(4, error).putLong(8, unique);
        out.position(0);
        channel.write(out, length);
    }
}
