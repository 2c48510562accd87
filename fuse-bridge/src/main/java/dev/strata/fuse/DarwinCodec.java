package dev.strata.fuse;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import dev.strata.engine.OpenIntent;
import dev.strata.engine.Overlay;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The FUSE protocol of macFUSE's kernel extension (its fuse_kernel.h under __APPLE__): Linux's
 * frame with a creation time and BSD file flags in every attribute, backup, change and creation
 * times and file flags in SETATTR, a position in xattr requests (resource forks), BSD flag and
 * errno numbers, and three requests of its own: SETVOLNAME, GETXTIMES and EXCHANGE.
 */
public final class DarwinCodec extends KernelCodec {
    static final int SETVOLNAME = 61, GETXTIMES = 62, EXCHANGE = 63;
    /** Darwin's open(2) flags (sys/fcntl.h). */
    static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 0x400, O_EXCL = 0x800;
    /** renamex_np(2): RENAME_SWAP, RENAME_EXCL. */
    static final int RENAME_SWAP = 2, RENAME_EXCL = 4;
    /** setxattr(2) options. */
    static final int XATTR_CREATE = 2, XATTR_REPLACE = 4;
    static final int SEEK_HOLE = 3, SEEK_DATA = 4;
    /** fuse_setattr_in.valid bits only macOS sends. */
    static final int FATTR_CRTIME = 1 << 28, FATTR_CHGTIME = 1 << 29, FATTR_BKUPTIME = 1 << 30, FATTR_FLAGS = 1 << 31;
    /** INIT flags of macFUSE (bits Linux uses for other things from 23 up). */
    static final long DARWIN_RENAME_EXT = (1L << 25) | (1L << 26);
    /** An engine rename flag no request may carry, so an unknown macOS flag is refused with EINVAL. */
    private static final int UNKNOWN_RENAME_FLAG = 1 << 30;
    private static final int[] ERRNO = errnoTable(Map.ofEntries(Map.entry(Errno.EPERM, 1), Map.entry(Errno.ENOENT, 2),
            Map.entry(Errno.EINTR, 4), Map.entry(Errno.EIO, 5), Map.entry(Errno.EBADF, 9), Map.entry(Errno.EAGAIN, 35),
            Map.entry(Errno.EACCES, 13), Map.entry(Errno.EBUSY, 16), Map.entry(Errno.EEXIST, 17), Map.entry(Errno.EXDEV, 18),
            Map.entry(Errno.ENOTDIR, 20), Map.entry(Errno.EISDIR, 21), Map.entry(Errno.EINVAL, 22), Map.entry(Errno.EFBIG, 27),
            Map.entry(Errno.ENOSPC, 28), Map.entry(Errno.EROFS, 30), Map.entry(Errno.EMLINK, 31), Map.entry(Errno.ERANGE, 34),
            Map.entry(Errno.ENAMETOOLONG, 63), Map.entry(Errno.ENOSYS, 78), Map.entry(Errno.ENOTEMPTY, 66),
            Map.entry(Errno.ELOOP, 62), Map.entry(Errno.ENODATA, 93 /* ENOATTR */), Map.entry(Errno.EOPNOTSUPP, 45 /* ENOTSUP */),
            Map.entry(Errno.ESTALE, 70)));
    private final LinuxCodec shared = new LinuxCodec();

    /** The opcode number of an operation on macOS, for tests and fixtures. */
    static int opcode(Operation op) {
        return switch (op) {
            case SETVOLNAME -> SETVOLNAME;
            case GETXTIMES -> GETXTIMES;
            case EXCHANGE -> EXCHANGE;
            default -> LinuxCodec.opcode(op);
        };
    }

    @Override
    protected Operation operation(int opcode) {
        return switch (opcode) {
            case SETVOLNAME -> Operation.SETVOLNAME;
            case GETXTIMES -> Operation.GETXTIMES;
            case EXCHANGE -> Operation.EXCHANGE;
            default -> shared.operation(opcode);
        };
    }

    /** There is no execve marker: macFUSE checks execute permission with ACCESS before it opens. */
    @Override
    protected OpenIntent intent(int flags) {
        int access = flags & O_ACCMODE;
        return new OpenIntent(access != O_WRONLY, access == O_WRONLY || access == O_RDWR, (flags & O_TRUNC) != 0, false,
                (flags & O_EXCL) != 0);
    }

    @Override
    protected int renameFlags(int flags) {
        int engine = 0;
        if ((flags & RENAME_SWAP) != 0) {
            engine |= Overlay.RENAME_EXCHANGE;
        }
        if ((flags & RENAME_EXCL) != 0) {
            engine |= Overlay.RENAME_NOREPLACE;
        }
        return (flags & ~(RENAME_SWAP | RENAME_EXCL)) != 0 ? engine | UNKNOWN_RENAME_FLAG : engine;
    }

    @Override
    protected int xattrFlags(int flags) {
        return ((flags & XATTR_CREATE) != 0 ? Overlay.XATTR_CREATE : 0) | ((flags & XATTR_REPLACE) != 0 ? Overlay.XATTR_REPLACE : 0);
    }

    @Override
    protected boolean seeksData(int whence) {
        return whence == SEEK_DATA;
    }

    /** fuse_getxattr_in: size, padding, position, padding2. */
    @Override
    protected int getxattrInSize() {
        return 16;
    }

    /** fuse_setxattr_in: size, flags, position, setxattr_flags. */
    @Override
    protected int setxattrInSize() {
        return 16;
    }

    /**
     * After Linux's fields: bkuptime, chgtime, crtime, their nanoseconds, and chflags(2) flags.
     * Backup, change and creation times are not kept (Strata keeps what POSIX has), so setting them
     * is a no-op the Finder does not mind; BSD file flags other than none are refused.
     */
    @Override
    protected Errno refusedSetattr(int valid, ByteBuffer in) {
        in.getLong(); // bkuptime
        in.getLong(); // chgtime
        in.getLong(); // crtime
        in.getInt();
        in.getInt();
        in.getInt();
        int flags = in.getInt();
        return (valid & FATTR_FLAGS) != 0 && flags != 0 ? Errno.EOPNOTSUPP : null;
    }

    @Override
    protected KernelRequest.Work platformOnly(Operation op, Caller caller, long node, ByteBuffer in) {
        return switch (op) {
            // the volume is named by its mount; Finder's rename of it is refused
            case SETVOLNAME -> new KernelRequest.Refuse(Errno.ENOSYS);
            // answered from the node's attributes: crtime is its mtime, and there is no backup time
            case GETXTIMES -> new KernelRequest.Routed(new FsRequest.GetAttr(caller, node), 0);
            case EXCHANGE -> {
                // fuse_exchange_in: olddir, newdir, options; then both names. exchangedata(2) swaps two
                // files' contents under their names: for the view, that is a rename that swaps both names.
                long oldDir = in.getLong();
                long newDir = in.getLong();
                in.getLong();
                byte[] oldName = cString(in);
                yield new KernelRequest.Routed(new FsRequest.Rename(caller, oldDir, oldName, newDir, cString(in),
                        Overlay.RENAME_EXCHANGE), 0);
            }
            default -> new KernelRequest.Refuse(Errno.ENOSYS);
        };
    }

    @Override
    public int errno(Errno errno) {
        return ERRNO[errno.ordinal()];
    }

    @Override
    public int attrSize() {
        return 104;
    }

    /**
     * fuse_attr on macOS: ino, size, blocks, atime, mtime, ctime, crtime, their nanoseconds, mode,
     * nlink, uid, gid, rdev, flags_darwin (chflags), blksize, flags.
     */
    @Override
    protected void putAttr(ByteBuffer out, Attributes a) {
        out.putLong(a.ino()).putLong(a.size()).putLong(a.blocks());
        out.putLong(LinuxCodec.seconds(a.atimeNanos())).putLong(LinuxCodec.seconds(a.mtimeNanos()))
                .putLong(LinuxCodec.seconds(a.ctimeNanos())).putLong(LinuxCodec.seconds(a.mtimeNanos()));
        out.putInt(LinuxCodec.nanos(a.atimeNanos())).putInt(LinuxCodec.nanos(a.mtimeNanos())).putInt(LinuxCodec.nanos(a.ctimeNanos()))
                .putInt(LinuxCodec.nanos(a.mtimeNanos()));
        out.putInt(a.mode()).putInt(a.nlink()).putInt(a.uid()).putInt(a.gid()).putInt((int) a.rdev());
        out.putInt(0).putInt(4096).putInt(0);
    }

    /** fuse_getxtimes_out: bkuptime, crtime, their nanoseconds. */
    @Override
    public void putXtimes(ByteBuffer out, Attributes a) {
        out.putLong(0).putLong(LinuxCodec.seconds(a.mtimeNanos())).putInt(0).putInt(LinuxCodec.nanos(a.mtimeNanos()));
    }

    /** macFUSE's kernel speaks 7.19. */
    @Override
    public int newestMinor() {
        return 19;
    }

    @Override
    public long wantedFlags(long offered, int minor, boolean passthrough) {
        return offered & (FuseKernel.ASYNC_READ | FuseKernel.ATOMIC_O_TRUNC | FuseKernel.BIG_WRITES | DARWIN_RENAME_EXT);
    }
}
