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

    private static final String[] NAMES = names();

    private static String[] names() {
        String[] n = new String[64];
        String all = "1 LOOKUP 2 FORGET 3 GETATTR 4 SETATTR 5 READLINK 6 SYMLINK 8 MKNOD 9 MKDIR 10 UNLINK 11 RMDIR 12 RENAME 13 LINK "
                + "14 OPEN 15 READ 16 WRITE 17 STATFS 18 RELEASE 20 FSYNC 21 SETXATTR 22 GETXATTR 23 LISTXATTR 24 REMOVEXATTR 25 FLUSH 26 INIT "
                + "27 OPENDIR 28 READDIR 29 RELEASEDIR 30 FSYNCDIR 31 GETLK 32 SETLK 33 SETLKW 34 ACCESS 35 CREATE 36 INTERRUPT 37 BMAP "
                + "38 DESTROY 39 IOCTL 40 POLL 41 NOTIFY_REPLY 42 BATCH_FORGET 43 FALLOCATE 44 READDIRPLUS 45 RENAME2 46 LSEEK "
                + "47 COPY_FILE_RANGE 48 SETUPMAPPING 49 REMOVEMAPPING 50 SYNCFS 51 TMPFILE 52 STATX";
        String[] parts = all.split(" ");
        for (int i = 0; i < parts.length; i += 2) {
            n[Integer.parseInt(parts[i])] = parts[i + 1];
        }
        return n;
    }

    /** The protocol's name of an opcode, as the kernel headers spell it without FUSE_. */
    static String name(int opcode) {
        return opcode >= 0 && opcode < NAMES.length && NAMES[opcode] != null ? NAMES[opcode] : "OP_" + opcode;
    }

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
