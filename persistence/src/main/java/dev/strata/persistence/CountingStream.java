package dev.strata.persistence;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** Reports bytes as they pass: a progress bar that moves during a big blob, a count of what a fetch moved. */
final class CountingStream extends FilterInputStream {
    private final LongConsumer counted;

    CountingStream(InputStream in, LongConsumer counted) {
        super(in);
        this.counted = counted;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            counted.accept(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            counted.accept(n);
        }
        return n;
    }
}
