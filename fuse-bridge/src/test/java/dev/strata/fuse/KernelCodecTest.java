package dev.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import dev.strata.engine.OpenIntent;
import dev.strata.engine.Overlay;
import dev.strata.engine.StatFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Both codecs against fixtures laid out field by field as the protocol headers define them
 * (linux/fuse.h; macFUSE's fuse_kernel.h under __APPLE__): every request the Linux codec decodes,
 * on both platforms, plus macOS's own; every answer encoded and read back at the headers' offsets.
 */
class KernelCodecTest {
    private static final KernelCodec LINUX = new LinuxCodec();
    private static final KernelCodec DARWIN = new DarwinCodec();
    private static final Attributes ATTRS = new Attributes(77, 0100644, 2, 1000, 100, 12345, 32, 1_700_000_000_123_456_789L,
            1_700_000_001_000_000_002L, 1_700_000_002_999_999_999L, 0x0801);

    /** A request as the kernel writes it: fuse_in_header (len, opcode, unique, nodeid, uid, gid, pid, extlen, padding), then the body. */
    private static final class Fixture {
        private final ByteBuffer b = ByteBuffer.allocate(8192).order(ByteOrder.LITTLE_ENDIAN);

        Fixture(int opcode, long node) {
            b.putInt(0).putInt(opcode).putLong(0x1234_5678_9abcL).putLong(node).putInt(1000).putInt(100).putInt(4242).putInt(0);
        }

        Fixture i32(int v) {
            b.putInt(v);
            return this;
        }

        Fixture i64(long v) {
            b.putLong(v);
            return this;
        }

        Fixture zeros(int n) {
            b.put(new byte[n]);
            return this;
        }

        Fixture name(String s) {
            b.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            return this;
        }

        Fixture bytes(byte[] data) {
            b.put(data);
            return this;
        }

        ByteBuffer decodeBuffer() {
            int length = b.position();
            b.putInt(0, length);
            ByteBuffer in = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
            in.put(b.array(), 0, length).flip();
            return in;
        }

        KernelRequest decode(KernelCodec codec) {
            KernelRequest r = codec.decode(decodeBuffer());
            assertEquals(0x1234_5678_9abcL, r.unique());
            return r;
        }
    }

    private static int op(KernelCodec codec, Operation op) {
        return codec instanceof DarwinCodec ? DarwinCodec.opcode(op) : LinuxCodec.opcode(op);
    }

    private static Fixture request(KernelCodec codec, Operation op, long node) {
        return new Fixture(op(codec, op), node);
    }

    @SuppressWarnings("unchecked")
    private static <T extends FsRequest> T routed(KernelRequest r, Class<T> type) {
        KernelRequest.Routed routed = assertInstanceOf(KernelRequest.Routed.class, r.work());
        T request = assertInstanceOf(type, routed.request());
        assertEquals(1000, request.caller().uid());
        assertEquals(100, request.caller().gid());
        assertEquals(4242, request.caller().tid());
        return request;
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---- requests both kernels send ----

    @Test
    void namesAndNodes() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            var lookup = routed(request(c, Operation.LOOKUP, 9).name("etc").decode(c), FsRequest.Lookup.class);
            assertEquals(9, lookup.parent());
            assertEquals("etc", text(lookup.name()));
            assertEquals(5, routed(request(c, Operation.GETATTR, 5).i32(0).i32(0).i64(0).decode(c), FsRequest.GetAttr.class).node());
            assertEquals(5, routed(request(c, Operation.READLINK, 5).decode(c), FsRequest.ReadLink.class).node());
            assertEquals(5, routed(request(c, Operation.OPENDIR, 5).i32(0).i32(0).decode(c), FsRequest.OpenDir.class).node());
            assertEquals(5, routed(request(c, Operation.STATFS, 5).decode(c), FsRequest.StatFs.class).node());
            assertEquals(5, routed(request(c, Operation.FSYNCDIR, 5).i64(3).i32(0).i32(0).decode(c), FsRequest.Sync.class).node());
            assertEquals(6, routed(request(c, Operation.ACCESS, 5).i32(6).i32(0).decode(c), FsRequest.Access.class).mask());
            var unlink = routed(request(c, Operation.UNLINK, 9).name("old").decode(c), FsRequest.Unlink.class);
            assertEquals("old", text(unlink.name()));
            assertEquals("d", text(routed(request(c, Operation.RMDIR, 9).name("d").decode(c), FsRequest.RemoveDirectory.class).name()));
            var symlink = routed(request(c, Operation.SYMLINK, 9).name("link").name("../target").decode(c), FsRequest.Symlink.class);
            assertEquals("link", text(symlink.name()));
            assertEquals("../target", text(symlink.target()));
            var link = routed(request(c, Operation.LINK, 9).i64(31).name("again").decode(c), FsRequest.Link.class);
            assertEquals(31, link.node());
            assertEquals(9, link.newParent());
            assertEquals("again", text(link.newName()));
            var mkdir = routed(request(c, Operation.MKDIR, 9).i32(040755).i32(022).name("sub").decode(c), FsRequest.MakeDirectory.class);
            assertEquals(040755, mkdir.mode());
            assertEquals("sub", text(mkdir.name()));
            var mknod = routed(request(c, Operation.MKNOD, 9).i32(010644).i32(0x0801).i32(022).i32(0).name("fifo").decode(c),
                    FsRequest.MakeNode.class);
            assertEquals(010644, mknod.mode());
            assertEquals(0x0801, mknod.rdev());
            assertEquals("fifo", text(mknod.name()));
            var rename = routed(request(c, Operation.RENAME, 9).i64(10).name("a").name("b").decode(c), FsRequest.Rename.class);
            assertEquals(9, rename.parent());
            assertEquals(10, rename.newParent());
            assertEquals("a", text(rename.name()));
            assertEquals("b", text(rename.newName()));
            assertEquals(0, rename.flags());
        }
    }

    @Test
    void opensAndCreates() {
        // Linux: O_RDONLY|__FMODE_EXEC (an execve), O_WRONLY|O_TRUNC, O_RDWR|O_EXCL
        var exec = routed(request(LINUX, Operation.OPEN, 5).i32(040).i32(0).decode(LINUX), FsRequest.Open.class);
        assertEquals(new OpenIntent(true, false, false, true, false), exec.intent());
        var trunc = routed(request(LINUX, Operation.OPEN, 5).i32(01 | 01000).i32(0).decode(LINUX), FsRequest.Open.class);
        assertEquals(new OpenIntent(false, true, true, false, false), trunc.intent());
        var create = routed(request(LINUX, Operation.CREATE, 9).i32(02 | 0200 | 0100).i32(0100640).i32(022).i32(0).name("new")
                .decode(LINUX), FsRequest.Create.class);
        assertEquals(new OpenIntent(true, true, false, false, true), create.intent());
        assertEquals(0100640, create.mode());
        assertEquals("new", text(create.name()));
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            // O_RDWR is 2 on both
            var tmp = routed(request(c, Operation.TMPFILE, 9).i32(02).i32(0100600).i32(022).i32(0).name("/").decode(c),
                    FsRequest.CreateUnnamed.class);
            assertEquals(OpenIntent.READ_WRITE, tmp.intent());
            assertEquals(0100600, tmp.mode());
            assertEquals(9, tmp.parent());
        }
        // macOS: O_TRUNC is 0x400 and O_EXCL 0x800; there is no execve marker
        var dtrunc = routed(request(DARWIN, Operation.OPEN, 5).i32(0x1 | 0x400).i32(0).decode(DARWIN), FsRequest.Open.class);
        assertEquals(new OpenIntent(false, true, true, false, false), dtrunc.intent());
        var dlinuxTrunc = routed(request(DARWIN, Operation.OPEN, 5).i32(01000).i32(0).decode(DARWIN), FsRequest.Open.class);
        assertFalse(dlinuxTrunc.intent().truncate(), "Linux's O_TRUNC bit is O_CREAT on macOS");
        var dcreate = routed(request(DARWIN, Operation.CREATE, 9).i32(0x2 | 0x800 | 0x200).i32(0100600).i32(022).i32(0).name("x")
                .decode(DARWIN), FsRequest.Create.class);
        assertEquals(new OpenIntent(true, true, false, false, true), dcreate.intent());
    }

    /** fuse_setattr_in: the common 88 bytes; macOS adds bkuptime, chgtime, crtime, their nanoseconds and flags. */
    private static Fixture setattr(KernelCodec c, int valid, int mode, long size, int darwinFlags) {
        Fixture f = request(c, Operation.SETATTR, 5).i32(valid).i32(0).i64(7).i64(size).i64(0).i64(1_600_000_000L).i64(1_600_000_001L)
                .i64(0).i32(111).i32(222).i32(0).i32(mode).i32(0).i32(1001).i32(1002).i32(0);
        if (c == DARWIN) {
            f.i64(1).i64(2).i64(3).i32(0).i32(0).i32(0).i32(darwinFlags);
        }
        return f;
    }

    @Test
    void setattrFields() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            // FATTR_MODE | FATTR_SIZE | FATTR_ATIME | FATTR_MTIME_NOW | FATTR_FH
            var sa = routed(setattr(c, 1 | 8 | 16 | 256 | 64, 04755, 99, 0).decode(c), FsRequest.SetAttr.class);
            Overlay.SetAttributes s = sa.change();
            assertEquals(EnumSet.of(Overlay.SetAttributes.Field.MODE, Overlay.SetAttributes.Field.SIZE, Overlay.SetAttributes.Field.ATIME,
                    Overlay.SetAttributes.Field.MTIME_NOW), s.fields());
            assertTrue(s.viaHandle());
            assertEquals(04755, s.mode());
            assertEquals(99, s.size());
            assertEquals(1_600_000_000_000_000_111L, s.atimeNanos());
            assertEquals(1_600_000_001_000_000_222L, s.mtimeNanos());
            assertEquals(1001, s.uid());
            assertEquals(1002, s.gid());
            var owners = routed(setattr(c, 2 | 4 | 1024, 0, 0, 0).decode(c), FsRequest.SetAttr.class).change();
            assertEquals(EnumSet.of(Overlay.SetAttributes.Field.UID, Overlay.SetAttributes.Field.GID, Overlay.SetAttributes.Field.CTIME),
                    owners.fields());
            assertFalse(owners.viaHandle());
        }
        // macOS: setting creation or backup times is accepted and ignored; chflags other than none is refused
        var times = routed(setattr(DARWIN, DarwinCodec.FATTR_CRTIME | DarwinCodec.FATTR_BKUPTIME, 0, 0, 0).decode(DARWIN),
                FsRequest.SetAttr.class);
        assertTrue(times.change().fields().isEmpty());
        var flags = setattr(DARWIN, DarwinCodec.FATTR_FLAGS, 0, 0, 0x8000 /* UF_HIDDEN */).decode(DARWIN);
        assertEquals(Errno.EOPNOTSUPP, assertInstanceOf(KernelRequest.Refuse.class, flags.work()).errno());
    }

    @Test
    void extendedAttributes() {
        // getxattr: Linux size, padding; macOS adds position and padding2
        var get = routed(request(LINUX, Operation.GETXATTR, 5).i32(64).i32(0).name("user.k").decode(LINUX), FsRequest.GetXattr.class);
        assertEquals("user.k", get.name());
        var dget = request(DARWIN, Operation.GETXATTR, 5).i32(64).i32(0).i32(0).i32(0).name("com.apple.k").decode(DARWIN);
        assertEquals("com.apple.k", routed(dget, FsRequest.GetXattr.class).name());
        assertEquals(64, ((KernelRequest.Routed) dget.work()).replySize());
        var list = request(LINUX, Operation.LISTXATTR, 5).i32(0).i32(0).decode(LINUX);
        assertEquals(0, ((KernelRequest.Routed) list.work()).replySize());
        routed(list, FsRequest.ListXattr.class);
        routed(request(DARWIN, Operation.LISTXATTR, 5).i32(10).i32(0).decode(DARWIN), FsRequest.ListXattr.class);
        // setxattr: Linux size, flags (XATTR_REPLACE 2); macOS size, flags (XATTR_REPLACE 4), position, setxattr_flags
        byte[] value = {1, 2, 3};
        var set = routed(request(LINUX, Operation.SETXATTR, 5).i32(3).i32(2).name("user.k").bytes(value).decode(LINUX),
                FsRequest.SetXattr.class);
        assertEquals(Overlay.XATTR_REPLACE, set.flags());
        assertEquals(Overlay.XATTR_CREATE, routed(request(LINUX, Operation.SETXATTR, 5).i32(0).i32(1).name("user.n").decode(LINUX),
                FsRequest.SetXattr.class).flags());
        assertArrayEquals(value, set.value());
        var dset = routed(request(DARWIN, Operation.SETXATTR, 5).i32(3).i32(4).i32(0).i32(0).name("user.k").bytes(value).decode(DARWIN),
                FsRequest.SetXattr.class);
        assertEquals(Overlay.XATTR_REPLACE, dset.flags());
        assertEquals("user.k", dset.name());
        assertArrayEquals(value, dset.value());
        var dcreate = routed(request(DARWIN, Operation.SETXATTR, 5).i32(0).i32(2).i32(0).i32(0).name("user.n").decode(DARWIN),
                FsRequest.SetXattr.class);
        assertEquals(Overlay.XATTR_CREATE, dcreate.flags());
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            assertEquals("user.k", routed(request(c, Operation.REMOVEXATTR, 5).name("user.k").decode(c), FsRequest.RemoveXattr.class).name());
        }
    }

    @Test
    void renameFlags() {
        // Linux RENAME_NOREPLACE 1, RENAME_EXCHANGE 2; macOS renamex_np RENAME_EXCL 4, RENAME_SWAP 2
        var noReplace = routed(request(LINUX, Operation.RENAME2, 9).i64(10).i32(1).i32(0).name("a").name("b").decode(LINUX),
                FsRequest.Rename.class);
        assertEquals(Overlay.RENAME_NOREPLACE, noReplace.flags());
        var exchange = routed(request(LINUX, Operation.RENAME2, 9).i64(10).i32(2).i32(0).name("a").name("b").decode(LINUX),
                FsRequest.Rename.class);
        assertEquals(Overlay.RENAME_EXCHANGE, exchange.flags());
        var excl = routed(request(DARWIN, Operation.RENAME2, 9).i64(10).i32(4).i32(0).name("a").name("b").decode(DARWIN),
                FsRequest.Rename.class);
        assertEquals(Overlay.RENAME_NOREPLACE, excl.flags());
        assertEquals("b", text(excl.newName()));
        var swap = routed(request(DARWIN, Operation.RENAME2, 9).i64(10).i32(2).i32(0).name("a").name("b").decode(DARWIN),
                FsRequest.Rename.class);
        assertEquals(Overlay.RENAME_EXCHANGE, swap.flags());
        var unknown = routed(request(DARWIN, Operation.RENAME2, 9).i64(10).i32(1).i32(0).name("a").name("b").decode(DARWIN),
                FsRequest.Rename.class);
        assertTrue((unknown.flags() & ~(Overlay.RENAME_NOREPLACE | Overlay.RENAME_EXCHANGE)) != 0, "an unknown flag stays unknown");
    }

    @Test
    void readsWritesAndHandles() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            // fuse_read_in: fh, offset, size, read_flags, lock_owner, flags, padding
            var read = assertInstanceOf(KernelRequest.Read.class,
                    request(c, Operation.READ, 5).i64(17).i64(4096).i32(65536).i32(0).i64(0).i32(0).i32(0).decode(c).work());
            assertEquals(new KernelRequest.Read(17, 4096, 65536), read);
            // fuse_write_in, then the data
            Fixture wf = request(c, Operation.WRITE, 5).i64(17).i64(8).i32(5).i32(0).i64(0).i32(0).i32(0).bytes("hello".getBytes());
            var write = assertInstanceOf(KernelRequest.Write.class, wf.decode(c).work());
            assertEquals(new KernelRequest.Write(17, 8, 5, KernelCodec.IN_HEADER + 40), write);
            assertEquals(new KernelRequest.Release(17), request(c, Operation.RELEASE, 5).i64(17).i32(0).i32(0).i64(0).decode(c).work());
            assertEquals(new KernelRequest.Acknowledge(), request(c, Operation.RELEASEDIR, 5).i64(3).i32(0).i32(0).i64(0).decode(c).work());
            assertEquals(new KernelRequest.Refuse(Errno.ENOSYS), request(c, Operation.FLUSH, 5).i64(17).i32(0).i32(0).i64(0).decode(c).work());
            var fsync = assertInstanceOf(KernelRequest.Fsync.class, request(c, Operation.FSYNC, 5).i64(17).i32(1).i32(0).decode(c).work());
            assertEquals(17, fsync.fh());
            assertEquals(5, fsync.node());
            assertTrue(fsync.dataOnly());
            assertEquals(new KernelRequest.Fallocate(17, 10, 20, 3),
                    request(c, Operation.FALLOCATE, 5).i64(17).i64(10).i64(20).i32(3).i32(0).decode(c).work());
            assertEquals(new KernelRequest.CopyRange(17, 1, 18, 2, 3),
                    request(c, Operation.COPY_FILE_RANGE, 5).i64(17).i64(1).i64(6).i64(18).i64(2).i64(3).i64(0).decode(c).work());
            assertEquals(new KernelRequest.Interrupt(99), request(c, Operation.INTERRUPT, 0).i64(99).decode(c).work());
            assertEquals(new KernelRequest.Acknowledge(), request(c, Operation.DESTROY, 1).decode(c).work());
            var listing = request(c, Operation.READDIRPLUS, 5).i64(3).i64(12).i32(4096).i32(0).i64(0).i32(0).i32(0).decode(c);
            var rd = routed(listing, FsRequest.ReadDir.class);
            assertEquals(12, rd.offset());
            assertTrue(rd.plus());
            assertEquals(4096, ((KernelRequest.Routed) listing.work()).replySize());
            assertFalse(routed(request(c, Operation.READDIR, 5).i64(3).i64(0).i32(4096).i32(0).i64(0).i32(0).i32(0).decode(c),
                    FsRequest.ReadDir.class).plus());
            var forget = assertInstanceOf(KernelRequest.Forget.class, request(c, Operation.FORGET, 44).i64(3).decode(c).work());
            assertArrayEquals(new long[] {44}, forget.nodes());
            assertArrayEquals(new long[] {3}, forget.counts());
            var batch = assertInstanceOf(KernelRequest.Forget.class,
                    request(c, Operation.BATCH_FORGET, 0).i32(2).i32(0).i64(44).i64(1).i64(45).i64(2).decode(c).work());
            assertArrayEquals(new long[] {44, 45}, batch.nodes());
            assertArrayEquals(new long[] {1, 2}, batch.counts());
            assertEquals(new KernelRequest.Refuse(Errno.ENOSYS), new Fixture(1000, 1).decode(c).work(), "an unknown opcode");
        }
        // SEEK_DATA is 3 on Linux and 4 on macOS
        assertTrue(((KernelRequest.Seek) request(LINUX, Operation.LSEEK, 5).i64(17).i64(0).i32(3).i32(0).decode(LINUX).work()).toData());
        assertFalse(((KernelRequest.Seek) request(DARWIN, Operation.LSEEK, 5).i64(17).i64(0).i32(3).i32(0).decode(DARWIN).work()).toData());
        assertTrue(((KernelRequest.Seek) request(DARWIN, Operation.LSEEK, 5).i64(17).i64(0).i32(4).i32(0).decode(DARWIN).work()).toData());
    }

    // ---- macOS's own requests ----

    @Test
    void darwinOnlyRequests() {
        assertEquals(Operation.SETVOLNAME, request(DARWIN, Operation.SETVOLNAME, 1).name("Mine").decode(DARWIN).operation());
        assertEquals(new KernelRequest.Refuse(Errno.ENOSYS), request(DARWIN, Operation.SETVOLNAME, 1).name("Mine").decode(DARWIN).work());
        var xtimes = request(DARWIN, Operation.GETXTIMES, 5).decode(DARWIN);
        assertEquals(Operation.GETXTIMES, xtimes.operation());
        assertEquals(5, routed(xtimes, FsRequest.GetAttr.class).node());
        // fuse_exchange_in: olddir, newdir, options; then both names
        var exchange = routed(request(DARWIN, Operation.EXCHANGE, 0).i64(9).i64(10).i64(0).name("a").name("b").decode(DARWIN),
                FsRequest.Rename.class);
        assertEquals(9, exchange.parent());
        assertEquals(10, exchange.newParent());
        assertEquals("a", text(exchange.name()));
        assertEquals("b", text(exchange.newName()));
        assertEquals(Overlay.RENAME_EXCHANGE, exchange.flags());
        // the same numbers mean nothing to Linux
        assertEquals(Operation.UNKNOWN, new Fixture(DarwinCodec.EXCHANGE, 0).decode(LINUX).operation());
    }

    // ---- answers ----

    private static ByteBuffer out() {
        return ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads a fuse_attr back at the header's offsets: Linux's 88 bytes, or macOS's 104 with crtime and flags_darwin. */
    private static Attributes readAttr(ByteBuffer b, int at, boolean darwin) {
        int nanos = darwin ? 56 : 48;
        int mode = darwin ? 72 : 60;
        long atime = b.getLong(at + 24) * 1_000_000_000L + b.getInt(at + nanos);
        long mtime = b.getLong(at + 32) * 1_000_000_000L + b.getInt(at + nanos + 4);
        long ctime = b.getLong(at + 40) * 1_000_000_000L + b.getInt(at + nanos + 8);
        if (darwin) {
            assertEquals(b.getLong(at + 32), b.getLong(at + 48), "crtime is the mtime");
            assertEquals(0, b.getInt(at + 92), "no BSD file flags");
            assertEquals(4096, b.getInt(at + 96), "blksize");
        } else {
            assertEquals(4096, b.getInt(at + 80), "blksize");
        }
        return new Attributes(b.getLong(at), b.getInt(at + mode), b.getInt(at + mode + 4), b.getInt(at + mode + 8), b.getInt(at + mode + 12),
                b.getLong(at + 8), b.getLong(at + 16), atime, mtime, ctime, b.getInt(at + mode + 16));
    }

    @Test
    void entriesAndAttributesRoundTrip() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            boolean darwin = c == DARWIN;
            assertEquals(darwin ? 104 : 88, c.attrSize());
            ByteBuffer b = out();
            c.putEntry(b, 42, ATTRS, 1, 3600);
            assertEquals(40 + c.attrSize(), b.position(), "fuse_entry_out");
            assertEquals(42, b.getLong(0));
            assertEquals(0, b.getLong(8), "generation");
            assertEquals(1, b.getLong(16), "entry_valid");
            assertEquals(3600, b.getLong(24), "attr_valid");
            assertEquals(ATTRS, readAttr(b, 40, darwin));
            ByteBuffer a = out();
            c.putAttrOut(a, ATTRS, 0);
            assertEquals(16 + c.attrSize(), a.position(), "fuse_attr_out");
            assertEquals(ATTRS, readAttr(a, 16, darwin));
            ByteBuffer none = out();
            c.putNoEntry(none);
            assertEquals(c.entrySize(), none.position());
        }
        ByteBuffer x = out();
        DARWIN.putXtimes(x, ATTRS);
        assertEquals(24, x.position(), "fuse_getxtimes_out");
        assertEquals(0, x.getLong(0), "no backup time");
        assertEquals(ATTRS.mtimeNanos() / 1_000_000_000L, x.getLong(8));
        assertEquals(ATTRS.mtimeNanos() % 1_000_000_000L, x.getInt(20));
    }

    @Test
    void otherAnswersRoundTrip() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            ByteBuffer open = out();
            c.putOpen(open, 0xfeedL, FuseKernel.FOPEN_KEEP_CACHE, 3);
            assertEquals(16, open.position());
            assertEquals(0xfeedL, open.getLong(0));
            assertEquals(FuseKernel.FOPEN_KEEP_CACHE, open.getInt(8));
            assertEquals(3, open.getInt(12));
            ByteBuffer st = out();
            c.putStatFs(st, new StatFs(1000, 600, 500, 70, 30, 4096, 255));
            assertEquals(80, st.position(), "fuse_kstatfs");
            assertEquals(1000, st.getLong(0));
            assertEquals(600, st.getLong(8));
            assertEquals(500, st.getLong(16));
            assertEquals(70, st.getLong(24));
            assertEquals(30, st.getLong(32));
            assertEquals(4096, st.getInt(40));
            assertEquals(255, st.getInt(44));
            assertEquals(4096, st.getInt(48), "frsize");
            ByteBuffer w = out();
            c.putWritten(w, 5);
            assertEquals(8, w.position());
            assertEquals(5, w.getInt(0));
            ByteBuffer o = out();
            c.putOffset(o, 1L << 40);
            assertEquals(1L << 40, o.getLong(0));
            ByteBuffer xs = out();
            c.putXattrSize(xs, 12);
            assertEquals(8, xs.position());
            assertEquals(12, xs.getInt(0));
            // fuse_dirent: ino, off, namelen, type, name, padded to 8; direntplus puts an entry first
            ByteBuffer d = out();
            byte[] name = "hello".getBytes();
            c.putDirent(d, 77, 3, 040000, name);
            assertEquals(c.direntSize(name.length, false), d.position());
            assertEquals(32, d.position());
            assertEquals(77, d.getLong(0));
            assertEquals(3, d.getLong(8));
            assertEquals(5, d.getInt(16));
            assertEquals(4, d.getInt(20), "DT_DIR");
            assertEquals('h', d.get(24));
            assertEquals(c.entrySize() + 32, c.direntSize(name.length, true));
        }
    }

    @Test
    void initNegotiation() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            // fuse_init_in: major, minor, max_readahead, flags, flags2
            ByteBuffer in = request(c, Operation.INIT, 0).i32(7).i32(c == DARWIN ? 19 : 45).i32(131072).i32(-1).i32(-1).zeros(44).decodeBuffer();
            KernelCodec.Init init = c.decodeInit(in);
            assertEquals(7, init.major());
            assertEquals(131072, init.maxReadahead());
            long flags = c.wantedFlags(init.flags(), Math.min(init.minor(), c.newestMinor()), true);
            ByteBuffer out = out();
            c.putInit(out, Math.min(init.minor(), c.newestMinor()), init.maxReadahead(), flags, 1 << 20, 256);
            assertEquals(c == DARWIN ? 24 : 64, out.position(), "fuse_init_out: 7.19 takes its first 24 bytes");
            assertEquals(7, out.getInt(0));
            assertEquals(c.newestMinor(), out.getInt(4));
            assertEquals(131072, out.getInt(8));
            assertEquals((int) flags, out.getInt(12));
            assertEquals(1 << 20, out.getInt(20), "max_write");
            if (c == LINUX) {
                assertTrue((flags & FuseKernel.PASSTHROUGH) != 0);
                assertEquals(256, out.getShort(28));
                assertEquals((int) (flags >>> 32), out.getInt(32), "flags2");
            } else {
                assertEquals(0, flags & (FuseKernel.DO_READDIRPLUS | FuseKernel.CACHE_SYMLINKS), "bits macFUSE gives other meanings");
            }
        }
    }

    @Test
    void errnoNumbers() {
        for (KernelCodec c : new KernelCodec[] {LINUX, DARWIN}) {
            Set<Integer> seen = new HashSet<>();
            for (Errno e : Errno.values()) {
                assertTrue(c.errno(e) > 0 && seen.add(c.errno(e)), e + " has its own number");
            }
        }
        Map<Errno, int[]> differ = Map.of(Errno.ENOTEMPTY, new int[] {39, 66}, Errno.ENAMETOOLONG, new int[] {36, 63},
                Errno.ELOOP, new int[] {40, 62}, Errno.ENODATA, new int[] {61, 93}, Errno.EAGAIN, new int[] {11, 35},
                Errno.ENOSYS, new int[] {38, 78}, Errno.ESTALE, new int[] {116, 70}, Errno.EOPNOTSUPP, new int[] {95, 45});
        differ.forEach((e, numbers) -> {
            assertEquals(numbers[0], LINUX.errno(e), e + " on Linux");
            assertEquals(numbers[1], DARWIN.errno(e), e + " on macOS");
        });
        assertEquals(2, DARWIN.errno(Errno.ENOENT));
        assertEquals(13, DARWIN.errno(Errno.EACCES));
    }
}
