package dev.strata.persistence;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The canonical binary encoding of repository objects, specified in docs/format.md. Decoding is
 * strict: anything that would not re-encode to the same bytes is rejected, so one object has one
 * digest.
 */
public final class ObjectCodec {
    static final byte VERSION = 1;
    private static final byte[] MANIFEST_MAGIC = {'S', 'T', 'R', 'M'};
    private static final byte[] LAYER_MAGIC = {'S', 'T', 'R', 'L'};
    private static final byte[] PLATFORM_MAGIC = {'S', 'T', 'R', 'P'};
    private static final int OPAQUE_FLAG = 1;

    private ObjectCodec() {
    }

    public static byte[] encode(RepoObject object) {
        Writer w = new Writer();
        if (object instanceof ManifestObject m) {
            encodeManifest(m.manifest(), w);
        } else if (object instanceof Layer l) {
            w.header(LAYER_MAGIC);
            w.digest(l.manifest());
            w.varint(l.annotations().size());
            for (Map.Entry<String, String> a : l.annotations().entrySet()) {
                w.string(a.getKey());
                w.string(a.getValue());
            }
        } else if (object instanceof Platform p) {
            w.header(PLATFORM_MAGIC);
            w.varint(p.layers().size());
            p.layers().forEach(w::digest);
        }
        return w.toByteArray();
    }

    public static byte[] encode(Manifest manifest) {
        return encode(new ManifestObject(manifest));
    }

    private static void encodeManifest(Manifest m, Writer w) {
        w.header(MANIFEST_MAGIC);
        w.varint(m.count());
        for (int n = 0; n < m.count(); n++) {
            if (n != Manifest.ROOT) {
                w.varint(m.parent(n));
                w.bytes(m.name(n));
            }
            EntryKind kind = m.kind(n);
            w.u8(kind.code());
            w.u8(m.isOpaque(n) ? OPAQUE_FLAG : 0);
            w.varint(m.mode(n));
            w.varint(Integer.toUnsignedLong(m.uid(n)));
            w.varint(Integer.toUnsignedLong(m.gid(n)));
            w.i64(m.mtimeNanos(n));
            switch (kind) {
                case FILE -> {
                    w.varint(m.size(n));
                    w.digest(m.blob(n));
                    w.varint(m.linkGroup(n));
                }
                case SYMLINK -> w.bytes(m.symlinkTarget(n));
                case CHAR_DEVICE, BLOCK_DEVICE -> w.varint(m.rdev(n));
                default -> {
                }
            }
            SortedMap<String, byte[]> xattrs = m.xattrs(n);
            w.varint(xattrs.size());
            for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
                w.string(x.getKey());
                w.bytes(x.getValue());
            }
        }
    }

    /** Decodes any repository object; the digest is only used to name it in errors. */
    public static RepoObject decode(Digest digest, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            byte[] magic = new byte[4];
            in.get(magic);
            int version = in.get();
            if (version != VERSION) {
                throw new CorruptObjectException(digest, "unknown format version " + version);
            }
            RepoObject result;
            if (Arrays.equals(magic, MANIFEST_MAGIC)) {
                result = new ManifestObject(decodeManifest(digest, in));
            } else if (Arrays.equals(magic, LAYER_MAGIC)) {
                result = decodeLayer(digest, in);
            } else if (Arrays.equals(magic, PLATFORM_MAGIC)) {
                int count = count(digest, in, "layers");
                List<Digest> layers = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    layers.add(Digest.read(in));
                }
                result = new Platform(layers);
            } else {
                throw new CorruptObjectException(digest, "not a Strata object (bad magic)");
            }
            if (in.hasRemaining()) {
                throw new CorruptObjectException(digest, in.remaining() + " trailing bytes");
            }
            return result;
        } catch (BufferUnderflowException e) {
            throw new CorruptObjectException(digest, "truncated");
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CorruptObjectException(digest, e.getMessage());
        }
    }

    private static Layer decodeLayer(Digest digest, ByteBuffer in) {
        Digest manifest = Digest.read(in);
        int count = count(digest, in, "annotations");
        TreeMap<String, String> annotations = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < count; i++) {
            String key = string(in);
            if (previous != null && previous.compareTo(key) >= 0) {
                throw new CorruptObjectException(digest, "annotations out of order");
            }
            previous = key;
            annotations.put(key, string(in));
        }
        return new Layer(manifest, annotations);
    }

    private static Manifest decodeManifest(Digest digest, ByteBuffer in) {
        int count = count(digest, in, "entries");
        if (count < 1) {
            throw new CorruptObjectException(digest, "a manifest has a root");
        }
        Manifest.Builder builder = null;
        int maxGroup = 0;
        for (int n = 0; n < count; n++) {
            int parent = -1;
            byte[] name = null;
            if (n != Manifest.ROOT) {
                parent = (int) varint(in);
                name = bytes(in);
            }
            EntryKind kind = EntryKind.fromCode(in.get());
            int flags = in.get();
            if ((flags & ~OPAQUE_FLAG) != 0) {
                throw new CorruptObjectException(digest, "unknown flags " + flags);
            }
            int mode = (int) varint(in);
            int uid = (int) varint(in);
            int gid = (int) varint(in);
            long mtime = in.getLong();
            long size = 0;
            Digest blob = null;
            byte[] target = null;
            long rdev = 0;
            int group = 0;
            switch (kind) {
                case FILE -> {
                    size = varint(in);
                    blob = Digest.read(in);
                    group = (int) varint(in);
                    if (group > maxGroup + 1) {
                        throw new CorruptObjectException(digest, "hard-link groups are numbered by first appearance");
                    }
                    maxGroup = Math.max(maxGroup, group);
                }
                case SYMLINK -> {
                    target = bytes(in);
                    size = target.length;
                }
                case CHAR_DEVICE, BLOCK_DEVICE -> rdev = varint(in);
                default -> {
                }
            }
            int xattrCount = (int) varint(in);
            TreeMap<String, byte[]> xattrs = new TreeMap<>();
            String previous = null;
            for (int i = 0; i < xattrCount; i++) {
                String key = string(in);
                if (previous != null && previous.compareTo(key) >= 0) {
                    throw new CorruptObjectException(digest, "xattrs out of order");
                }
                previous = key;
                xattrs.put(key, bytes(in));
            }
            Entry entry = new Entry(kind, mode, uid, gid, mtime, size, blob, target, rdev, group, xattrs, (flags & OPAQUE_FLAG) != 0);
            if (n == Manifest.ROOT) {
                builder = Manifest.builder(entry);
            } else {
                builder.add(parent, name, entry);
            }
        }
        return builder.build();
    }

    private static int count(Digest digest, ByteBuffer in, String what) {
        long n = varint(in);
        if (n > in.remaining()) {
            throw new CorruptObjectException(digest, "claims " + n + " " + what + " in " + in.remaining() + " bytes");
        }
        return (int) n;
    }

    static long varint(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) {
                    throw new IllegalArgumentException("non-minimal varint");
                }
                return value;
            }
        }
        throw new IllegalArgumentException("varint longer than 64 bits");
    }

    private static byte[] bytes(ByteBuffer in) {
        long length = varint(in);
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] b = new byte[(int) length];
        in.get(b);
        return b;
    }

    private static String string(ByteBuffer in) {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    /** A growable big-endian buffer with the format's primitives. */
    private static final class Writer {
        private ByteBuffer buf = ByteBuffer.allocate(256);

        void header(byte[] magic) {
            ensure(5);
            buf.put(magic).put(VERSION);
        }

        void u8(int v) {
            ensure(1);
            buf.put((byte) v);
        }

        void i64(long v) {
            ensure(8);
            buf.putLong(v);
        }

        void varint(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf.put((byte) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            buf.put((byte) v);
        }

        void bytes(byte[] b) {
            varint(b.length);
            ensure(b.length);
            buf.put(b);
        }

        void string(String s) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        void digest(Digest d) {
            ensure(Digest.BYTES);
            d.write(buf);
        }

        private void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }
}
