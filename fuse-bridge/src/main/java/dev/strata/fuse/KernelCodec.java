package dev.strata.fuse;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import dev.strata.engine.OpenIntent;
import dev.strata.engine.Overlay;
import dev.strata.engine.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;

/**
 * The FUSE protocol as one platform's kernel speaks it: requests decoded into platform-neutral
 * {@link KernelRequest}s, answers encoded into the kernel's layouts, and the engine's named errors
 * turned into the platform's numbers. Linux and macFUSE share the protocol's frame (headers,
 * opcodes, most layouts); a subclass says where they differ: attribute and setattr layouts, xattr
 * request sizes, open, rename, xattr and seek flag values, errno numbers, and macOS-only requests.
 */
public abstract class KernelCodec {
    public static final int IN_HEADER = 40;
    public static final int OUT_HEADER = 16;
    public static final int DIRENT = 24;
    static final int ENTRY_HEAD = 40;

    /** The codec of the kernel this process runs on. */
    public static KernelCodec forHost() {
        return System.getProperty("os.name", "").startsWith("Mac") ? new DarwinCodec() : new LinuxCodec();
    }

    /** Decodes one request; the buffer holds exactly it, from position 0. */
    public final KernelRequest decode(ByteBuffer in) {
        int opcode = in.getInt(4);
        long unique = in.getLong(8);
        long node = in.getLong(16);
        Caller caller = new Caller(in.getInt(32), in.getInt(24), in.getInt(28));
        Operation op = operation(opcode);
        in.position(IN_HEADER);
        return new KernelRequest(unique, op, work(op, caller, node, in));
    }

    private KernelRequest.Work work(Operation op, Caller caller, long node, ByteBuffer in) {
        return switch (op) {
            case LOOKUP -> routed(new FsRequest.Lookup(caller, node, cString(in)));
            case FORGET -> new KernelRequest.Forget(new long[] {node}, new long[] {in.getLong()});
            case BATCH_FORGET -> {
                int count = in.getInt();
                in.getInt();
                long[] nodes = new long[count];
                long[] counts = new long[count];
                for (int i = 0; i < count; i++) {
                    nodes[i] = in.getLong();
                    counts[i] = in.getLong();
                }
                yield new KernelRequest.Forget(nodes, counts);
            }
            case GETATTR -> routed(new FsRequest.GetAttr(caller, node));
            case READLINK -> routed(new FsRequest.ReadLink(caller, node));
            case OPEN -> routed(new FsRequest.Open(caller, node, intent(in.getInt())));
            case READ -> new KernelRequest.Read(in.getLong(), in.getLong(), in.getInt());
            case WRITE -> {
                // fuse_write_in: fh, offset, size, write_flags, lock_owner, flags, padding; then the data
                long fh = in.getLong();
                long offset = in.getLong();
                int size = in.getInt();
                yield new KernelRequest.Write(fh, offset, size, IN_HEADER + 40);
            }
            case RELEASE -> new KernelRequest.Release(in.getLong());
            // Locks are the kernel's (no POSIX_LOCKS) and data needs no flushing: ENOSYS tells the kernel
            // to stop sending FLUSH, one round trip per close(2).
            case FLUSH -> new KernelRequest.Refuse(Errno.ENOSYS);
            case RELEASEDIR, DESTROY -> new KernelRequest.Acknowledge();
            case FSYNC -> {
                long fh = in.getLong();
                yield new KernelRequest.Fsync(caller, node, fh, (in.getInt() & 1) != 0);
            }
            case FSYNCDIR -> routed(new FsRequest.Sync(caller, node));
            case FALLOCATE -> new KernelRequest.Fallocate(in.getLong(), in.getLong(), in.getLong(), in.getInt());
            case LSEEK -> new KernelRequest.Seek(in.getLong(), in.getLong(), seeksData(in.getInt()));
            case COPY_FILE_RANGE -> {
                // fuse_copy_file_range_in: fh_in, off_in, nodeid_out, fh_out, off_out, len, flags
                long fhIn = in.getLong();
                long offIn = in.getLong();
                in.getLong();
                yield new KernelRequest.CopyRange(fhIn, offIn, in.getLong(), in.getLong(), in.getLong());
            }
            case OPENDIR -> routed(new FsRequest.OpenDir(caller, node));
            case READDIR, READDIRPLUS -> {
                in.getLong(); // fh
                long offset = in.getLong();
                int size = in.getInt();
                yield new KernelRequest.Routed(new FsRequest.ReadDir(caller, node, offset, op == Operation.READDIRPLUS), size);
            }
            case STATFS -> routed(new FsRequest.StatFs(caller, node));
            case ACCESS -> routed(new FsRequest.Access(caller, node, in.getInt()));
            case GETXATTR -> {
                int size = in.getInt();
                in.position(IN_HEADER + getxattrInSize());
                yield new KernelRequest.Routed(new FsRequest.GetXattr(caller, node, utf8(cString(in))), size);
            }
            case LISTXATTR -> new KernelRequest.Routed(new FsRequest.ListXattr(caller, node), in.getInt());
            case SETXATTR -> {
                int size = in.getInt();
                int flags = xattrFlags(in.getInt());
                in.position(IN_HEADER + setxattrInSize());
                String name = utf8(cString(in));
                byte[] value = new byte[Math.min(size, in.remaining())];
                in.get(value);
                yield routed(new FsRequest.SetXattr(caller, node, name, value, flags));
            }
            case REMOVEXATTR -> routed(new FsRequest.RemoveXattr(caller, node, utf8(cString(in))));
            case CREATE -> {
                int flags = in.getInt();
                int mode = in.getInt();
                in.getInt(); // umask: applied to mode by the kernel already (no DONT_MASK)
                in.getInt();
                yield routed(new FsRequest.Create(caller, node, cString(in), mode, intent(flags)));
            }
            case TMPFILE -> {
                // fuse_create_in, then the name of the kernel's anonymous dentry ("/"), which names nothing
                int flags = in.getInt();
                int mode = in.getInt();
                yield routed(new FsRequest.CreateUnnamed(caller, node, mode, intent(flags)));
            }
            case MKNOD -> {
                int mode = in.getInt();
                long rdev = Integer.toUnsignedLong(in.getInt());
                in.getLong();
                yield routed(new FsRequest.MakeNode(caller, node, cString(in), mode, rdev));
            }
            case MKDIR -> {
                int mode = in.getInt();
                in.getInt();
                yield routed(new FsRequest.MakeDirectory(caller, node, cString(in), mode));
            }
            case SYMLINK -> {
                byte[] name = cString(in);
                yield routed(new FsRequest.Symlink(caller, node, name, cString(in)));
            }
            case LINK -> {
                long target = in.getLong();
                yield routed(new FsRequest.Link(caller, target, node, cString(in)));
            }
            case UNLINK -> routed(new FsRequest.Unlink(caller, node, cString(in)));
            case RMDIR -> routed(new FsRequest.RemoveDirectory(caller, node, cString(in)));
            case RENAME, RENAME2 -> {
                long newParent = in.getLong();
                int flags = 0;
                if (op == Operation.RENAME2) {
                    flags = renameFlags(in.getInt());
                    in.getInt();
                }
                byte[] name = cString(in);
                yield routed(new FsRequest.Rename(caller, node, name, newParent, cString(in), flags));
            }
            case SETATTR -> setattr(caller, node, in);
            case INTERRUPT -> new KernelRequest.Interrupt(in.getLong());
            case SETVOLNAME, GETXTIMES, EXCHANGE -> platformOnly(op, caller, node, in);
            default -> new KernelRequest.Refuse(Errno.ENOSYS);
        };
    }

    private static KernelRequest.Routed routed(FsRequest request) {
        return new KernelRequest.Routed(request, 0);
    }

    /**
     * fuse_setattr_in: valid, padding, fh, size, lock_owner, atime, mtime, ctime, their nanoseconds,
     * mode, unused, uid, gid, unused (88 bytes); macOS adds its own times and file flags after them.
     */
    private KernelRequest.Work setattr(Caller caller, long node, ByteBuffer in) {
        int valid = in.getInt();
        in.getInt();
        in.getLong(); // fh
        long size = in.getLong();
        in.getLong(); // lock_owner
        long atime = in.getLong();
        long mtime = in.getLong();
        in.getLong(); // ctime
        long atimeNanos = Integer.toUnsignedLong(in.getInt());
        long mtimeNanos = Integer.toUnsignedLong(in.getInt());
        in.getInt();
        int mode = in.getInt();
        in.getInt();
        int uid = in.getInt();
        int gid = in.getInt();
        in.getInt();
        Errno refused = refusedSetattr(valid, in);
        if (refused != null) {
            return new KernelRequest.Refuse(refused);
        }
        EnumSet<Overlay.SetAttributes.Field> fields = EnumSet.noneOf(Overlay.SetAttributes.Field.class);
        for (Overlay.SetAttributes.Field f : FIELDS) {
            if ((valid & FATTR_BITS[f.ordinal()]) != 0) {
                fields.add(f);
            }
        }
        return routed(new FsRequest.SetAttr(caller, node, new Overlay.SetAttributes(fields, mode, uid, gid, size,
                atime * 1_000_000_000L + atimeNanos, mtime * 1_000_000_000L + mtimeNanos, (valid & FATTR_FH) != 0)));
    }

    private static final Overlay.SetAttributes.Field[] FIELDS = Overlay.SetAttributes.Field.values();
    /** fuse_setattr_in.valid: the bits of each {@link Overlay.SetAttributes.Field}, in its order; the same on both platforms. */
    static final int[] FATTR_BITS = {1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 7, 1 << 8, 1 << 10};
    /** The request came through an open file (fchmod, ftruncate). */
    static final int FATTR_FH = 1 << 6;

    /** Names in requests are NUL-terminated. */
    static byte[] cString(ByteBuffer in) {
        int start = in.position();
        int end = start;
        while (end < in.limit() && in.get(end) != 0) {
            end++;
        }
        byte[] name = new byte[end - start];
        in.get(name);
        if (in.position() < in.limit()) {
            in.get();
        }
        return name;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---- where platforms differ: requests ----

    /** The operation of a platform opcode number. */
    protected abstract Operation operation(int opcode);

    /** The platform's open(2) flags as the engine's intent. */
    protected abstract OpenIntent intent(int flags);

    /** The platform's rename flags as the engine's ({@link Overlay#RENAME_NOREPLACE}, {@link Overlay#RENAME_EXCHANGE}). */
    protected abstract int renameFlags(int flags);

    /** The platform's setxattr flags as the engine's ({@link Overlay#XATTR_CREATE}, {@link Overlay#XATTR_REPLACE}). */
    protected abstract int xattrFlags(int flags);

    /** Whether an lseek whence is SEEK_DATA (else SEEK_HOLE). */
    protected abstract boolean seeksData(int whence);

    protected abstract int getxattrInSize();

    protected abstract int setxattrInSize();

    /** Reads what a platform adds to fuse_setattr_in; an error for a change Strata cannot make, else null. */
    protected abstract Errno refusedSetattr(int valid, ByteBuffer in);

    /** Requests only one platform sends. */
    protected abstract KernelRequest.Work platformOnly(Operation op, Caller caller, long node, ByteBuffer in);

    // ---- where platforms differ: answers ----

    /** A table of {@link #errno} by ordinal; every error must have its number. */
    protected static int[] errnoTable(java.util.Map<Errno, Integer> numbers) {
        int[] table = new int[Errno.values().length];
        for (Errno e : Errno.values()) {
            Integer n = numbers.get(e);
            if (n == null) {
                throw new IllegalStateException("no number for " + e);
            }
            table[e.ordinal()] = n;
        }
        return table;
    }

    /** The platform's number of a named error. */
    public abstract int errno(Errno errno);

    /** sizeof(struct fuse_attr). */
    public abstract int attrSize();

    protected abstract void putAttr(ByteBuffer out, Attributes a);

    // ---- answers ----

    public final int entrySize() {
        return ENTRY_HEAD + attrSize();
    }

    /** fuse_entry_out: node, generation, entry and attribute timeouts, attributes. */
    public final void putEntry(ByteBuffer out, long node, Attributes a, long entrySeconds, long attrSeconds) {
        out.putLong(node).putLong(0).putLong(entrySeconds).putLong(attrSeconds).putInt(0).putInt(0);
        putAttr(out, a);
    }

    /** fuse_entry_out of a name without a node (readdirplus of an entry it could not look up): zeros, which the kernel skips. */
    public final void putNoEntry(ByteBuffer out) {
        for (int i = 0; i < entrySize(); i++) {
            out.put((byte) 0);
        }
    }

    /** fuse_entry_out of a name that is not there (node 0), which the kernel keeps as a negative entry for {@code seconds}. */
    public final void putNegativeEntry(ByteBuffer out, long seconds) {
        int start = out.position();
        out.putLong(0).putLong(0).putLong(seconds).putLong(0).putInt(0).putInt(0);
        while (out.position() < start + entrySize()) {
            out.put((byte) 0);
        }
    }

    /** Notification codes: the kernel reads them from the error field of an answer whose unique is 0. */
    public static final int NOTIFY_INVAL_INODE = 2;
    public static final int NOTIFY_INVAL_ENTRY = 3;

    /** fuse_notify_inval_inode_out: the node, and the range of its pages to drop (0 and 0: all, with its attributes). */
    public final void putInvalInode(ByteBuffer out, long node) {
        out.putLong(node).putLong(0).putLong(0);
    }

    /** fuse_notify_inval_inode_out with offset -1: the node's attributes only, not its pages. */
    public final ByteBuffer putInvalAttributes(ByteBuffer out, long node) {
        return out.putLong(node).putLong(-1).putLong(0);
    }

    /** fuse_notify_inval_entry_out: the directory, the name's length, no flags; then the name and a NUL. */
    public final void putInvalEntry(ByteBuffer out, long parent, byte[] name) {
        out.putLong(parent).putInt(name.length).putInt(0).put(name).put((byte) 0);
    }

    /** fuse_attr_out. */
    public final void putAttrOut(ByteBuffer out, Attributes a, long attrSeconds) {
        out.putLong(attrSeconds).putInt(0).putInt(0);
        putAttr(out, a);
    }

    /** fuse_open_out: handle, FOPEN flags, backing id (passthrough). */
    public final void putOpen(ByteBuffer out, long fh, int openFlags, int backingId) {
        out.putLong(fh).putInt(openFlags).putInt(backingId);
    }

    /** fuse_kstatfs. */
    public final void putStatFs(ByteBuffer out, StatFs v) {
        out.putLong(v.blocks()).putLong(v.blocksFree()).putLong(v.blocksAvailable()).putLong(v.files()).putLong(v.filesFree());
        out.putInt(v.blockSize()).putInt(v.nameMax()).putInt(v.blockSize()).putInt(0);
        for (int i = 0; i < 6; i++) {
            out.putInt(0);
        }
    }

    /** fuse_write_out (also COPY_FILE_RANGE's answer). */
    public final void putWritten(ByteBuffer out, long written) {
        out.putInt((int) written).putInt(0);
    }

    /** fuse_lseek_out. */
    public final void putOffset(ByteBuffer out, long offset) {
        out.putLong(offset);
    }

    /** fuse_getxattr_out: the size a getxattr or listxattr of size 0 asks for. */
    public final void putXattrSize(ByteBuffer out, int size) {
        out.putInt(size).putInt(0);
    }

    /** The bytes a directory entry takes in a READDIR (or READDIRPLUS) answer. */
    public final int direntSize(int nameLength, boolean plus) {
        int dirent = (DIRENT + nameLength + 7) & ~7;
        return plus ? entrySize() + dirent : dirent;
    }

    /** fuse_dirent: inode, offset of the next entry, name length, type (mode's type bits >> 12), name, padding to 8. */
    public final void putDirent(ByteBuffer out, long ino, long nextOffset, int typeBits, byte[] name) {
        out.putLong(ino).putLong(nextOffset).putInt(name.length).putInt((typeBits >>> 12) & 017);
        out.put(name);
        while ((out.position() & 7) != 0) {
            out.put((byte) 0);
        }
    }

    /** fuse_getxtimes_out (macOS): backup time and creation time. */
    public void putXtimes(ByteBuffer out, Attributes a) {
        throw new UnsupportedOperationException("GETXTIMES is macOS's");
    }

    // ---- INIT ----

    /** What the kernel offers in INIT. */
    public record Init(long unique, int major, int minor, int maxReadahead, long flags) {
    }

    public static final int MAJOR = 7;

    /** fuse_init_in: major, minor, max_readahead, flags, and flags2 when INIT_EXT is set. */
    public final Init decodeInit(ByteBuffer in) {
        int opcode = in.getInt(4);
        if (operation(opcode) != Operation.INIT) {
            throw new IllegalStateException("expected INIT from the kernel, got opcode " + opcode);
        }
        long flags = Integer.toUnsignedLong(in.getInt(52));
        if ((flags & FuseKernel.INIT_EXT) != 0 && in.limit() >= 60) {
            flags |= Integer.toUnsignedLong(in.getInt(56)) << 32;
        }
        return new Init(in.getLong(8), in.getInt(40), in.getInt(44), in.getInt(48), flags);
    }

    /** The newest minor version whose layouts this codec writes. */
    public abstract int newestMinor();

    /** The INIT flags this codec asks for, of those offered; passthrough only when wanted. */
    public abstract long wantedFlags(long offered, int minor, boolean passthrough);

    /**
     * fuse_init_out: the agreed version, readahead, flags, background limits, max_write, time
     * granularity, max_pages, flags2, max_stack_depth. Kernels before 7.23 take its first 24 bytes.
     */
    public final void putInit(ByteBuffer out, int minor, int maxReadahead, long flags, int maxWrite, int maxPages) {
        int start = out.position();
        out.putInt(MAJOR).putInt(minor).putInt(maxReadahead).putInt((int) flags);
        out.putShort((short) 64).putShort((short) 48);               // max_background, congestion_threshold
        out.putInt(maxWrite);
        if (minor < 23) {
            return;
        }
        out.putInt(1);                                               // time_gran (ns)
        out.putShort((short) maxPages).putShort((short) 0);
        out.putInt((int) (flags >>> 32));                            // flags2
        out.putInt((flags & FuseKernel.PASSTHROUGH) != 0 ? 1 : 0);   // max_stack_depth
        while (out.position() < start + 64) {
            out.put((byte) 0);
        }
    }
}
