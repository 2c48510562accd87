package dev.strata.fuse;

/**
 * Numbers of the FUSE protocol that Linux and macFUSE share: INIT and open flags, and the sizes this
 * bridge works with. What differs between them lives in their {@link KernelCodec}s.
 */
final class FuseKernel {
    private FuseKernel() {
    }

    static final int PASSTHROUGH_MINOR = 40;

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

    static final int FOPEN_KEEP_CACHE = 1 << 1;
    /** A directory's listing may be kept in its page cache. */
    static final int FOPEN_CACHE_DIR = 1 << 3;
    static final int FOPEN_PASSTHROUGH = 1 << 7;

    static final int MAX_WRITE = 1 << 20;
    static final int MAX_PAGES_VALUE = 256;
    /** A read() on the device needs room for the largest request: header + write_in + max_write. */
    static final int REQUEST_BUFFER = MAX_WRITE + 4096;
}
