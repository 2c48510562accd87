package dev.strata.persistence;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The append-only log of a scratch's namespace and metadata changes: what is not in the scratch's
 * data files (whiteouts, renames, links, new directories and symlinks, metadata of lower entries).
 * Replaying it over the same lower stack rebuilds the same view, so a restarted Mount or daemon
 * comes back as it was.
 *
 * <p>Each record is one write(2) of a frame {@code [length][crc32c][payload]}: a record is in the
 * page cache (so it survives the daemon being killed) before the change it describes is answered,
 * and a torn frame at the end, from a crash mid-write, fails its checksum and is dropped with
 * everything after it. {@link #sync()} makes the log durable against power loss (FSYNC requests).
 */
public final class ScratchJournal implements AutoCloseable {
    private static final java.util.concurrent.atomic.LongAdder APPENDS = new java.util.concurrent.atomic.LongAdder();
    private static final java.util.concurrent.atomic.LongAdder SYNCS = new java.util.concurrent.atomic.LongAdder();

    private static final int MAGIC = 0x5354524a; // "STRJ"
    private static final int VERSION = 1;

    /** One logged change. Nodes are named by inode number; names are raw bytes. */
    public sealed interface Record {
    }

    /** A new object linked at {@code parent/name}; {@code mode} includes the type bits. */
    public record Created(long parent, byte[] name, long ino, int mode, int uid, int gid, long rdev, byte[] target,
                          long timeNanos) implements Record {
    }

    /** Another name for an existing object. */
    public record Linked(long ino, long parent, byte[] name, long timeNanos) implements Record {
    }

    /** A name removed (unlink or rmdir); lower names removed this way become whiteouts. */
    public record Removed(long parent, byte[] name, long timeNanos) implements Record {
    }

    /** rename(2)/renameat2(2); {@code flags} are RENAME_NOREPLACE and RENAME_EXCHANGE. */
    public record Renamed(long oldParent, byte[] oldName, long newParent, byte[] newName, int flags, long timeNanos)
            implements Record {
    }

    /**
     * Metadata set on an object; {@code valid} says which fields apply (bits of the engine's SetAttributes.Field, as journals since the first hold them). Size
     * and times of objects whose content is in a data file live in that file and are not replayed.
     */
    public record AttributesSet(long ino, int valid, int mode, int uid, int gid, long size, long atimeNanos,
                                long mtimeNanos, long timeNanos) implements Record {
    }

    /** The object's content now lives in its data file. */
    public record CopiedUp(long ino) implements Record {
    }

    /** A read moved a lower file's atime (relatime): its ctime and the layer it would commit stay as they were. */
    public record Accessed(long ino, long atimeNanos) implements Record {
    }

    /** {@code value} null: the attribute was removed. */
    public record XattrSet(long ino, String name, byte[] value, long timeNanos) implements Record {
    }

    private final Path file;
    private FileChannel channel;
    private long records;

    private ScratchJournal(Path file, FileChannel channel, long records) {
        this.file = file;
        this.channel = channel;
        this.records = records;
    }

    /**
     * Opens the journal at {@code file}, creating it when missing, and returns it with the records
     * it holds. A torn or corrupt tail is cut off, so appends continue after the last good record.
     */
    public static Opened open(Path file) throws IOException {
        List<Record> replay = new ArrayList<>();
        long good = 0;
        if (Files.exists(file)) {
            byte[] bytes = Files.readAllBytes(file);
            good = parse(bytes, replay, file);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        if (good == 0) {
            ch.truncate(0);
            ch.write(ByteBuffer.allocate(8).putInt(MAGIC).putInt(VERSION).flip(), 0);
            good = 8;
        } else {
            ch.truncate(good);
        }
        ch.position(good);
        return new Opened(new ScratchJournal(file, ch, replay.size()), replay);
    }

    public record Opened(ScratchJournal journal, List<Record> records) {
    }

    private static long parse(byte[] bytes, List<Record> out, Path file) throws IOException {
        if (bytes.length < 8) {
            return 0;
        }
        ByteBuffer head = ByteBuffer.wrap(bytes, 0, 8);
        if (head.getInt() != MAGIC) {
            throw new IOException(file + " is not a scratch journal");
        }
        int version = head.getInt();
        if (version != VERSION) {
            throw new IOException(file + " is a scratch journal of version " + version + "; this Strata reads version " + VERSION);
        }
        int pos = 8;
        while (pos + 8 <= bytes.length) {
            ByteBuffer frame = ByteBuffer.wrap(bytes, pos, 8);
            int length = frame.getInt();
            int crc = frame.getInt();
            if (length <= 0 || pos + 8 + length > bytes.length) {
                break;
            }
            CRC32C check = new CRC32C();
            check.update(bytes, pos + 8, length);
            if ((int) check.getValue() != crc) {
                break;
            }
            try {
                out.add(decode(new DataInputStream(new java.io.ByteArrayInputStream(bytes, pos + 8, length))));
            } catch (EOFException | IllegalArgumentException e) {
                break;
            }
            pos += 8 + length;
        }
        return pos;
    }

    /** Appends one record: one write(2), in the page cache when this returns. */
    public void append(Record record) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream(64);
        encode(record, new DataOutputStream(payload));
        byte[] body = payload.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteBuffer frame = ByteBuffer.allocate(8 + body.length);
        frame.putInt(body.length).putInt((int) crc.getValue()).put(body).flip();
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
        records++;
        APPENDS.increment();
    }

    /** Makes every appended record durable. */
    public void sync() throws IOException {
        channel.force(false);
        SYNCS.increment();
    }

    /** Records appended and syncs made by every journal of this process, for the daemon's metrics. */
    public static long appends() {
        return APPENDS.sum();
    }

    public static long syncs() {
        return SYNCS.sum();
    }

    /** Records in the log. */
    public long size() {
        return records;
    }

    /** Forgets every record (after a commit moved the scratch's changes into a layer). */
    public void reset() throws IOException {
        channel.truncate(8);
        channel.position(8);
        channel.force(false);
        records = 0;
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void encode(Record r, DataOutputStream out) throws IOException {
        if (r instanceof Created c) {
            out.writeByte(1);
            out.writeLong(c.parent());
            bytes(out, c.name());
            out.writeLong(c.ino());
            out.writeInt(c.mode());
            out.writeInt(c.uid());
            out.writeInt(c.gid());
            out.writeLong(c.rdev());
            bytes(out, c.target());
            out.writeLong(c.timeNanos());
        } else if (r instanceof Linked l) {
            out.writeByte(2);
            out.writeLong(l.ino());
            out.writeLong(l.parent());
            bytes(out, l.name());
            out.writeLong(l.timeNanos());
        } else if (r instanceof Removed d) {
            out.writeByte(3);
            out.writeLong(d.parent());
            bytes(out, d.name());
            out.writeLong(d.timeNanos());
        } else if (r instanceof Renamed n) {
            out.writeByte(4);
            out.writeLong(n.oldParent());
            bytes(out, n.oldName());
            out.writeLong(n.newParent());
            bytes(out, n.newName());
            out.writeInt(n.flags());
            out.writeLong(n.timeNanos());
        } else if (r instanceof AttributesSet a) {
            out.writeByte(5);
            out.writeLong(a.ino());
            out.writeInt(a.valid());
            out.writeInt(a.mode());
            out.writeInt(a.uid());
            out.writeInt(a.gid());
            out.writeLong(a.size());
            out.writeLong(a.atimeNanos());
            out.writeLong(a.mtimeNanos());
            out.writeLong(a.timeNanos());
        } else if (r instanceof CopiedUp c) {
            out.writeByte(6);
            out.writeLong(c.ino());
        } else if (r instanceof XattrSet x) {
            out.writeByte(7);
            out.writeLong(x.ino());
            bytes(out, x.name().getBytes(StandardCharsets.UTF_8));
            bytes(out, x.value());
            out.writeLong(x.timeNanos());
        } else if (r instanceof Accessed a) {
            out.writeByte(8);
            out.writeLong(a.ino());
            out.writeLong(a.atimeNanos());
        }
    }

    private static Record decode(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case 1 -> new Created(in.readLong(), bytes(in), in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readLong(),
                    bytes(in), in.readLong());
            case 2 -> new Linked(in.readLong(), in.readLong(), bytes(in), in.readLong());
            case 3 -> new Removed(in.readLong(), bytes(in), in.readLong());
            case 4 -> new Renamed(in.readLong(), bytes(in), in.readLong(), bytes(in), in.readInt(), in.readLong());
            case 5 -> new AttributesSet(in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong());
            case 6 -> new CopiedUp(in.readLong());
            case 7 -> new XattrSet(in.readLong(), new String(bytes(in), StandardCharsets.UTF_8), bytes(in), in.readLong());
            case 8 -> new Accessed(in.readLong(), in.readLong());
            default -> throw new IllegalArgumentException("unknown journal record " + tag);
        };
    }

    /** Length-prefixed bytes; length -1 for null. */
    private static void bytes(DataOutputStream out, byte[] value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(value.length);
            out.write(value);
        }
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        if (n > 1 << 20) {
            throw new IllegalArgumentException("implausible field length " + n);
        }
        return in.readNBytes(n);
    }
}
