package dev.strata.fuse;

import dev.strata.actors.fs.Caller;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import dev.strata.engine.OpenIntent;
import java.nio.ByteBuffer;
import java.util.Map;

/** The FUSE protocol of Linux's kernel (linux/fuse.h, 7.45). */
public final class LinuxCodec extends KernelCodec {
    private static final Operation[] OPERATIONS = new Operation[64];
    private static final int[] ERRNO;
    /** Linux's open(2) flags, and __FMODE_EXEC, which marks the open of an execve. */
    static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_EXCL = 0200, O_TRUNC = 01000, FMODE_EXEC = 040;
    static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    static final int SEEK_DATA = 3;

    static {
        Operation[] byNumber = {null, Operation.LOOKUP, Operation.FORGET, Operation.GETATTR, Operation.SETATTR, Operation.READLINK,
                Operation.SYMLINK, null, Operation.MKNOD, Operation.MKDIR, Operation.UNLINK, Operation.RMDIR, Operation.RENAME,
                Operation.LINK, Operation.OPEN, Operation.READ, Operation.WRITE, Operation.STATFS, Operation.RELEASE, null,
                Operation.FSYNC, Operation.SETXATTR, Operation.GETXATTR, Operation.LISTXATTR, Operation.REMOVEXATTR, Operation.FLUSH,
                Operation.INIT, Operation.OPENDIR, Operation.READDIR, Operation.RELEASEDIR, Operation.FSYNCDIR, Operation.GETLK,
                Operation.SETLK, Operation.SETLKW, Operation.ACCESS, Operation.CREATE, Operation.INTERRUPT, Operation.BMAP,
                Operation.DESTROY, Operation.IOCTL, Operation.POLL, Operation.NOTIFY_REPLY, Operation.BATCH_FORGET,
                Operation.FALLOCATE, Operation.READDIRPLUS, Operation.RENAME2, Operation.LSEEK, Operation.COPY_FILE_RANGE, null,
                null, Operation.SYNCFS, Operation.TMPFILE, Operation.STATX};
        System.arraycopy(byNumber, 0, OPERATIONS, 0, byNumber.length);
        ERRNO = errnoTable(Map.ofEntries(Map.entry(Errno.EPERM, 1), Map.entry(Errno.ENOENT, 2), Map.entry(Errno.EINTR, 4),
                Map.entry(Errno.EIO, 5), Map.entry(Errno.EBADF, 9), Map.entry(Errno.EAGAIN, 11), Map.entry(Errno.EACCES, 13),
                Map.entry(Errno.EBUSY, 16), Map.entry(Errno.EEXIST, 17), Map.entry(Errno.EXDEV, 18), Map.entry(Errno.ENOTDIR, 20),
                Map.entry(Errno.EISDIR, 21), Map.entry(Errno.EINVAL, 22), Map.entry(Errno.EFBIG, 27), Map.entry(Errno.ENOSPC, 28),
                Map.entry(Errno.EROFS, 30), Map.entry(Errno.EMLINK, 31), Map.entry(Errno.ERANGE, 34), Map.entry(Errno.ENAMETOOLONG, 36),
                Map.entry(Errno.ENOSYS, 38), Map.entry(Errno.ENOTEMPTY, 39), Map.entry(Errno.ELOOP, 40), Map.entry(Errno.ENODATA, 61),
                Map.entry(Errno.EOPNOTSUPP, 95), Map.entry(Errno.ESTALE, 116)));
    }

    /** The opcode number of an operation: the inverse of {@link #operation}, for tests and fixtures. */
    static int opcode(Operation op) {
        for (int i = 0; i < OPERATIONS.length; i++) {
            if (OPERATIONS[i] == op) {
                return i;
            }
        }
        throw new IllegalArgumentException(op + " has no Linux opcode");
    }

    @Override
    protected Operation operation(int opcode) {
        Operation op = opcode >= 0 && opcode < OPERATIONS.length ? OPERATIONS[opcode] : null;
        return op == null ? Operation.UNKNOWN : op;
    }

    @Override
    protected OpenIntent intent(int flags) {
        int access = flags & O_ACCMODE;
        return new OpenIntent(access != O_WRONLY, access == O_WRONLY || access == O_RDWR, (flags & O_TRUNC) != 0,
                (flags & FMODE_EXEC) != 0, (flags & O_EXCL) != 0);
    }

    /** Linux's values are the engine's (KernelCodecTest holds them to it); unknown bits stay, for the engine to refuse with EINVAL. */
    @Override
    protected int renameFlags(int flags) {
        return flags;
    }

    /** Linux's XATTR_CREATE 1 and XATTR_REPLACE 2 are the engine's. */
    @Override
    protected int xattrFlags(int flags) {
        return flags;
    }

    @Override
    protected boolean seeksData(int whence) {
        return whence == SEEK_DATA;
    }

    /** fuse_getxattr_in: size, padding. */
    @Override
    protected int getxattrInSize() {
        return 8;
    }

    /** fuse_setxattr_in without SETXATTR_EXT (not asked for): size, flags. */
    @Override
    protected int setxattrInSize() {
        return 8;
    }

    @Override
    protected Errno refusedSetattr(int valid, ByteBuffer in) {
        return null;
    }

    @Override
    protected KernelRequest.Work platformOnly(Operation op, Caller caller, long node, ByteBuffer in) {
        return new KernelRequest.Refuse(Errno.ENOSYS);
    }

    @Override
    public int errno(Errno errno) {
        return ERRNO[errno.ordinal()];
    }

    @Override
    public int attrSize() {
        return 88;
    }

    /** fuse_attr: ino, size, blocks, atime, mtime, ctime, their nanoseconds, mode, nlink, uid, gid, rdev, blksize, flags. */
    @Override
    protected void putAttr(ByteBuffer out, Attributes a) {
        out.putLong(a.ino()).putLong(a.size()).putLong(a.blocks());
        out.putLong(seconds(a.atimeNanos())).putLong(seconds(a.mtimeNanos())).putLong(seconds(a.ctimeNanos()));
        out.putInt(nanos(a.atimeNanos())).putInt(nanos(a.mtimeNanos())).putInt(nanos(a.ctimeNanos()));
        out.putInt(a.mode()).putInt(a.nlink()).putInt(a.uid()).putInt(a.gid()).putInt((int) a.rdev());
        out.putInt(4096).putInt(0);
    }

    static long seconds(long nanos) {
        return Math.floorDiv(nanos, 1_000_000_000L);
    }

    static int nanos(long nanos) {
        return (int) Math.floorMod(nanos, 1_000_000_000L);
    }

    @Override
    public int newestMinor() {
        return 45;
    }

    @Override
    public long wantedFlags(long offered, int minor, boolean passthrough) {
        long want = FuseKernel.ASYNC_READ | FuseKernel.ATOMIC_O_TRUNC | FuseKernel.BIG_WRITES | FuseKernel.DO_READDIRPLUS
                | FuseKernel.READDIRPLUS_AUTO | FuseKernel.PARALLEL_DIROPS | FuseKernel.MAX_PAGES | FuseKernel.CACHE_SYMLINKS
                | FuseKernel.INIT_EXT;
        if (passthrough && minor >= FuseKernel.PASSTHROUGH_MINOR) {
            want |= FuseKernel.PASSTHROUGH;
        }
        return offered & want;
    }
}
