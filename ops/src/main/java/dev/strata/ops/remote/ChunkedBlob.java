package dev.strata.ops.remote;

import com.google.protobuf.ByteString;
import dev.strata.protocol.BlobChunk;
import java.io.IOException;
import java.io.InputStream;

/**
 * One blob's content within a stream of many (ReadBlobs, WriteBlobs): it begins with the data of the
 * chunk that names it and ends where the chunk naming the next blob begins, which {@link #next} then holds.
 */
final class ChunkedBlob extends InputStream {
    /** The stream's next chunk, or null at its end. */
    interface Chunks {
        BlobChunk next() throws IOException;
    }

    private final Chunks chunks;
    private ByteString current;
    private int at;
    private boolean ended;
    private BlobChunk next;

    ChunkedBlob(ByteString first, Chunks chunks) {
        this.current = first;
        this.chunks = chunks;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        while (at >= current.size()) {
            if (ended) {
                return -1;
            }
            BlobChunk c = chunks.next();
            if (c == null || !c.getDigest().isEmpty()) {
                next = c;
                ended = true;
                return -1;
            }
            current = c.getData();
            at = 0;
        }
        int n = Math.min(len, current.size() - at);
        current.copyTo(buf, at, off, n);
        at += n;
        return n;
    }

    /** Reads past what the reader left of this blob; returns the chunk naming the next one (null at the end). */
    BlobChunk skipToNext() throws IOException {
        byte[] sink = new byte[8192];
        while (read(sink, 0, sink.length) >= 0) {
            // the rest of this blob
        }
        return next;
    }
}
