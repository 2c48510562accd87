package dev.strata.fuse;

/** Numbers and sizes of the FUSE kernel protocol (linux/fuse.h, protocol 7.45). */
final class FuseKernel {
    private FuseKernel() {
    }

    static final int MAJOR = 7;
    /** The newest minor version whose layouts this bridge writes. */
    static final int MINOR = 45;
    static final int PASSTHROUGH_MINOR = 40;

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR = 88;
    static final int ENTRY_OUT = 40 + ATTR;
    static final int ATTR_OUT = 16 + ATTR;
    static final int OPEN_OUT = 16;
    static final int INIT_OUT = 64;
    static final int KSTATFS = 80;
    static final int DIRENT = 24;

    static final int LOOKUP = 1, FORGET = 2, GETATTR = 3, SETATTR = 4, READLINK = 5, SYMLINK = 6, MKNOD = 8,
            MKDIR = 9, UNLINK = 10, RMDIR = 11, RENAME = 12, LINK = 13, OPEN = 14, READ = 15, WRITE = 16,
            STATFS = 17, RELEASE = 18, FSYNC = 20, SETXATTR = 21, GETXATTR = 22, LISTXATTR = 23,
            REMOVEXATTR = 24, FLUSH = 25, INIT = 26, OPENDIR = 27, READDIR = 28, RELEASEDIR = 29,
            FSYNCDIR = 30, ACCESS = 34, CREATE = 35, INTERRUPT = 36, DESTROY = 38, BATCH_FORGET = 42,
            FALLOCATE = 43, READDIRPLUS = 44, RENAME2 = 45, LSEEK = 46, COPY_FILE_RANGE = 47, TMPFILE = 51;

    static final long ASYNC_READ = 1L;
    static final long ATOMIC_O_TRUNC = 1L << 3;
    static final long BIG_WRITES = 1L << 5;
    static final long DO_READDIRPLUS = 1L << 13;
    static final long READDIRPLUS_AUTO = 1L << 14;
    static final long PARALLEL_DIROPS = 1L << 18;
    static final long MAX_PAGES = 1L << 22;
    static final long CACHE_SYMLINKS = 1L << 23;
    static final long INIT_EXT = 1L << 30;
    static final long PASSTHROUGH = 1L << 37;

    /** fuse_setattr_in.valid: the request came through an open file. */
    static final int FATTR_FH = 1 << 6;
    static final int FSYNC_FDATASYNC = 1;

    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_PASSTHROUGH = 1 << 7;

    static final int MAX_WRITE = 1 << 20;
    static final int MAX_PAGES_VALUE = 256;
    /** A read() on /dev/fuse needs room for the largest request: header + write_in + max_write. */
    static final int REQUEST_BUFFER = MAX_WRITE + 4096;

}
