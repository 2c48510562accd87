package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ObjectCodecTest {
    private static final Digest BLOB = Digest.sha256("hello".getBytes(StandardCharsets.UTF_8));

    static Manifest sample(boolean reversedInsertion) {
        TreeBuilder t = TreeBuilder.withDefaultRoot();
        List<Runnable> puts = List.of(
                () -> t.put("bin", Entry.directory(0755, 0, 0, 1_000_000_123L)),
                () -> t.put("etc", Entry.directory(0755, 0, 0, 5).withOpaque(true)),
                () -> t.put("gone", Entry.whiteout()),
                () -> t.put("dev-null", new Entry(EntryKind.CHAR_DEVICE, 0666, 0, 0, 7, 0, null, null, 0x103, 0, null, false)),
                () -> t.put("fifo", new Entry(EntryKind.FIFO, 0600, 1000, 1000, -3, 0, null, null, 0, 0, null, false)));
        List<Runnable> nested = List.of(
                () -> t.put("bin/sh", Entry.file(04755, 0, 0, 42, 5, BLOB).withLinkGroup(9)),
                () -> t.put("bin/bash", Entry.file(04755, 0, 0, 42, 5, BLOB).withLinkGroup(9)),
                () -> t.put("bin/link", Entry.symlink("sh".getBytes(StandardCharsets.UTF_8), 0, 0, 1)),
                () -> t.put("etc/conf", Entry.file(0644, 0, 0, 1, 5, BLOB)
                        .withXattrs(new TreeMap<>(java.util.Map.of("user.b", new byte[] {2}, "user.a", new byte[] {1})))));
        if (reversedInsertion) {
            for (int i = puts.size() - 1; i >= 0; i--) puts.get(i).run();
            for (int i = nested.size() - 1; i >= 0; i--) nested.get(i).run();
        } else {
            puts.forEach(Runnable::run);
            nested.forEach(Runnable::run);
        }
        return t.build();
    }

    @Test
    void encodingDoesNotDependOnInsertionOrder() {
        assertArrayEquals(ObjectCodec.encode(sample(false)), ObjectCodec.encode(sample(true)));
    }

    @Test
    void manifestRoundTripsEveryKindAndAttribute() {
        Manifest m = sample(false);
        byte[] bytes = ObjectCodec.encode(m);
        Digest d = Digest.sha256(bytes);
        Manifest back = ((ManifestObject) ObjectCodec.decode(d, bytes)).manifest();
        assertArrayEquals(bytes, ObjectCodec.encode(back));
        assertEquals(m.count(), back.count());
        for (int n = 0; n < m.count(); n++) {
            assertEquals(m.entry(n), back.entry(n), "entry " + m.path(n));
            assertEquals(m.path(n), back.path(n));
        }
        int sh = back.find("bin/sh");
        int bash = back.find("bin/bash");
        assertEquals(back.linkGroup(sh), back.linkGroup(bash));
        assertEquals(1, back.linkGroup(bash), "groups are renumbered by first appearance");
        assertTrue(back.isOpaque(back.find("etc")));
        assertEquals(0x103, back.rdev(back.find("dev-null")));
        assertEquals(-3, back.mtimeNanos(back.find("fifo")));
    }

    @Test
    void layerAndPlatformRoundTrip() {
        Layer layer = new Layer(BLOB, new TreeMap<>(java.util.Map.of("message", "first", "origin", "/src")));
        byte[] lb = ObjectCodec.encode(layer);
        assertEquals(layer, ObjectCodec.decode(Digest.sha256(lb), lb));
        Platform platform = new Platform(List.of(BLOB, Digest.sha256(lb)));
        byte[] pb = ObjectCodec.encode(platform);
        assertEquals(platform, ObjectCodec.decode(Digest.sha256(pb), pb));
    }

    @Test
    void decoderRejectsTrailingTruncatedAndFlippedBytes() {
        byte[] bytes = ObjectCodec.encode(sample(false));
        Digest d = Digest.sha256(bytes);
        assertThrows(CorruptObjectException.class, () -> ObjectCodec.decode(d, Arrays.copyOf(bytes, bytes.length + 1)));
        assertThrows(CorruptObjectException.class, () -> ObjectCodec.decode(d, Arrays.copyOf(bytes, bytes.length - 3)));
        byte[] badMagic = bytes.clone();
        badMagic[0] ^= 1;
        assertThrows(CorruptObjectException.class, () -> ObjectCodec.decode(d, badMagic));
    }

    @Test
    void decoderRejectsNamesOutOfOrder() {
        Manifest.Builder b = Manifest.builder(Entry.directory(0755, 0, 0, 0));
        b.add(0, "a".getBytes(StandardCharsets.UTF_8), Entry.directory(0755, 0, 0, 0));
        b.add(0, "b".getBytes(StandardCharsets.UTF_8), Entry.directory(0755, 0, 0, 0));
        byte[] bytes = ObjectCodec.encode(b.build());
        // swap the one-byte names 'a' and 'b' in place: same length, wrong order
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        int ia = s.indexOf("\u0001a");
        int ib = s.indexOf("\u0001b");
        bytes[ia + 1] = 'b';
        bytes[ib + 1] = 'a';
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> ObjectCodec.decode(BLOB, bytes));
        assertTrue(e.getMessage().contains("increasing order"), e.getMessage());
    }

    @Test
    void hostileNamesAreRefused() {
        Manifest.Builder b = Manifest.builder(Entry.directory(0755, 0, 0, 0));
        Entry e = Entry.directory(0755, 0, 0, 0);
        for (String bad : List.of("a/b", "a\0b", ".", "..", "", "x".repeat(256))) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> b.add(0, bad.getBytes(StandardCharsets.UTF_8), e), bad);
            assertTrue(ex.getMessage().contains("name"), ex.getMessage());
        }
        b.add(0, "x".repeat(255).getBytes(StandardCharsets.UTF_8), e);
        assertInstanceOf(Manifest.class, b.build());
    }
}
