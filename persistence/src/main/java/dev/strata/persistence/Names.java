package dev.strata.persistence;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Names and paths are bytes; where code handles them as strings (paths in listings, keys, the CLI),
 * this is the one way across. Valid UTF-8 reads as itself; every byte that is not part of valid
 * UTF-8 becomes the lone surrogate U+DC80 + (byte - 0x80), which no valid UTF-8 decodes to (Python's
 * "surrogateescape"). So {@code bytes(string(b))} is {@code b} for any bytes, and two names never
 * share a string.
 */
public final class Names {
    private static final int ESCAPE = 0xDC00;

    private Names() {
    }

    public static String string(byte[] bytes) {
        return string(bytes, 0, bytes.length);
    }

    public static String string(byte[] bytes, int offset, int length) {
        boolean ascii = true;
        for (int i = offset; i < offset + length && ascii; i++) {
            ascii = bytes[i] >= 0;
        }
        if (ascii) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        CharBuffer out = CharBuffer.allocate(length);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    out.put((char) (ESCAPE + (in.get() & 0xff)));
                }
            } else {
                throw new IllegalStateException("a name decodes to no more chars than it has bytes: " + r);
            }
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    public static byte[] bytes(String s) {
        boolean escaped = false;
        for (int i = 0; i < s.length() && !escaped; i++) {
            escaped = Character.isSurrogate(s.charAt(i));
        }
        if (!escaped) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= ESCAPE + 0x80 && cp <= ESCAPE + 0xff) {
                out.write(cp - ESCAPE);
            } else if (Character.isSurrogate((char) cp) && cp <= 0xffff) {
                throw new IllegalArgumentException("not a name: a lone surrogate U+" + Integer.toHexString(cp).toUpperCase());
            } else {
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /** For messages: the string, with what is not UTF-8 shown as \xNN. */
    public static String printable(byte[] bytes) {
        String s = string(bytes);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= ESCAPE + 0x80 && c <= ESCAPE + 0xff) {
                out.append(String.format("\\x%02x", c - ESCAPE));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
