package dev.strata.persistence;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A SHA-256 digest, kept as four longs so that millions of them stay compact and compare fast. */
public final class Digest implements Comparable<Digest> {
    public static final int BYTES = 32;
    public static final int HEX_LENGTH = 64;
    private static final HexFormat HEX = HexFormat.of();

    private final long w0, w1, w2, w3;

    private Digest(long w0, long w1, long w2, long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    public static Digest of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + bytes.length);
        }
        return read(ByteBuffer.wrap(bytes));
    }

    /** Reads 32 bytes from the buffer's position (big-endian words). */
    public static Digest read(ByteBuffer in) {
        return new Digest(in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }

    public static Digest fromWords(long[] words, int offset) {
        return new Digest(words[offset], words[offset + 1], words[offset + 2], words[offset + 3]);
    }

    /** Parses a full 64-digit lowercase or uppercase hex digest. */
    public static Digest parse(String hex) {
        if (!isFullHex(hex)) {
            throw new IllegalArgumentException("not a SHA-256 digest (64 hex digits): '" + hex + "'");
        }
        return of(HEX.parseHex(hex.toLowerCase()));
    }

    public static boolean isFullHex(String s) {
        return s.length() == HEX_LENGTH && isHex(s);
    }

    public static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    public static Digest sha256(byte[] content) {
        return of(newHasher().digest(content));
    }

    public static MessageDigest newHasher() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public void write(ByteBuffer out) {
        out.putLong(w0).putLong(w1).putLong(w2).putLong(w3);
    }

    public void writeWords(long[] words, int offset) {
        words[offset] = w0;
        words[offset + 1] = w1;
        words[offset + 2] = w2;
        words[offset + 3] = w3;
    }

    public byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        write(b);
        return b.array();
    }

    public String hex() {
        return HEX.formatHex(bytes());
    }

    /** The first 12 hex digits: enough to tell objects apart on screen. */
    public String shortHex() {
        return hex().substring(0, 12);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && d.w0 == w0 && d.w1 == w1 && d.w2 == w2 && d.w3 == w3;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(w0);
    }

    @Override
    public int compareTo(Digest o) {
        int c = Long.compareUnsigned(w0, o.w0);
        if (c == 0) c = Long.compareUnsigned(w1, o.w1);
        if (c == 0) c = Long.compareUnsigned(w2, o.w2);
        if (c == 0) c = Long.compareUnsigned(w3, o.w3);
        return c;
    }

    @Override
    public String toString() {
        return hex();
    }
}
