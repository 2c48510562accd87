package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NamesTest {
    @Test
    void anyBytesComeBackExactly() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] name = new byte[1 + random.nextInt(12)];
            random.nextBytes(name);
            assertArrayEquals(name, Names.bytes(Names.string(name)), () -> java.util.HexFormat.of().formatHex(name));
        }
    }

    @Test
    void utf8ReadsAsItselfAndOtherBytesStayDistinct() {
        for (String s : new String[] {"plain", "café", "ok-ü", "𝄞 clef", "日本"}) {
            assertEquals(s, Names.string(s.getBytes(StandardCharsets.UTF_8)));
            assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), Names.bytes(s));
        }
        assertNotEquals(Names.string(new byte[] {'x', (byte) 0xfe}), Names.string(new byte[] {'x', (byte) 0xff}));
        // the UTF-8 spelling of a surrogate is not UTF-8: its bytes are escaped, not read as the surrogate
        byte[] encodedSurrogate = {(byte) 0xed, (byte) 0xb3, (byte) 0xbe};
        assertArrayEquals(encodedSurrogate, Names.bytes(Names.string(encodedSurrogate)));
        assertEquals("caf\\xe9", Names.printable(new byte[] {'c', 'a', 'f', (byte) 0xe9}));
    }

    @Test
    void aStringThatNoBytesDecodeToIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Names.bytes("lone \uD800 high"));
    }
}
