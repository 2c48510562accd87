package dev.strata.fuse;

import dev.strata.actors.fs.FileContent;
import dev.strata.actors.fs.FsReply;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open-file table of a FUSE session: the kernel's file handles, each with its content and, on
 * first need, a descriptor of it; and the io mode of each node. The kernel runs an inode either in
 * passthrough or in page-cache mode while any of its handles is open (an open asking for the other
 * fails with EIO), so the handles open decide the mode of the next open; every passthrough open of
 * a node shares one registered backing file, as the kernel allows no second one.
 */
final class OpenFiles {
    private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);

    /** What the kernel is told of an open: its handle, FOPEN_ flags and passthrough backing id (0: none). */
    record Handle(long fh, int openFlags, int backingId) {
    }

    /**
     * An open file handle. Under passthrough the kernel reads and writes the content itself; the
     * descriptor here serves READ and WRITE otherwise, and FSYNC, FALLOCATE, LSEEK and
     * COPY_FILE_RANGE always.
     */
    static final class OpenFile {
        final long node;
        final FileContent content;
        final boolean writable;
        final boolean backed;
        final Runnable released;
        /** Run before the first READ is answered, then dropped. */
        volatile Runnable accessed;
        private int fd = -1;
        private Path openedAt;
        /** When the open files are watched for writes: the content's mtime (ms) and size at open. */
        private long mtimeAtOpen = -1;
        private long sizeAtOpen = -1;

        private OpenFile(long node, FileContent content, boolean writable, boolean backed, Runnable released, Runnable accessed) {
            this.node = node;
            this.content = content;
            this.writable = writable;
            this.backed = backed;
            this.released = released;
            this.accessed = accessed;
        }

        private void noteTimes() {
            java.io.File file = content.path().toFile();
            mtimeAtOpen = file.lastModified();
            sizeAtOpen = file.length();
        }

        /**
         * Whether the content's mtime or size moved since it was opened writable: a write the kernel
         * may not have seen (one through a shared mapping). False when not watched.
         */
        boolean changedSinceOpen() {
            if (mtimeAtOpen < 0) {
                return false;
            }
            java.io.File file = content.path().toFile();
            return file.lastModified() != mtimeAtOpen || file.length() != sizeAtOpen;
        }

        /** The descriptor of the content, reopened when the content moved (a copy-up while held open). */
        synchronized int fd() throws IOException {
            Path now = content.path();
            if (fd >= 0 && now != openedAt) {
                closeDescriptor();
            }
            if (fd < 0) {
                fd = FuseNative.LIBC.open(now.toString(), (writable ? FuseNative.O_RDWR : FuseNative.O_RDONLY) | FuseNative.O_CLOEXEC);
                if (fd < 0) {
                    throw new IOException("open " + now + ": " + FuseNative.describe(FuseNative.errno()));
                }
                openedAt = now;
            }
            return fd;
        }

        synchronized void closeDescriptor() {
            if (fd >= 0) {
                FuseNative.LIBC.close(fd);
                fd = -1;
            }
        }
    }

    /** A registered backing file and the passthrough handles sharing it. */
    private static final class Backing {
        final int id;
        int opens;

        Backing(int id) {
            this.id = id;
        }
    }

    private final int device;
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final Map<Long, OpenFile> handles = new ConcurrentHashMap<>();
    /** Guards itself and {@link #cachedOpens}. */
    private final Map<Long, Backing> backings = new HashMap<>();
    /** Handles open through the page cache, per node. */
    private final Map<Long, Integer> cachedOpens = new HashMap<>();

    /** @param device the /dev/fuse descriptor backing files are registered on */
    private final boolean watchWrites;

    /** {@code watchWrites}: note each writable content's mtime and size at open, for {@link OpenFile#changedSinceOpen()}. */
    OpenFiles(int device, boolean watchWrites) {
        this.device = device;
        this.watchWrites = watchWrites;
    }

    /**
     * Opens a handle on {@code node} as the Mount answered; passthrough when the session has it, the
     * answer allows it and no page-cache handle of the node is open. On failure the answer's
     * {@code released} has run.
     */
    Handle open(long node, FsReply.Opened o, boolean passthrough) throws IOException {
        long fh = nextHandle.getAndIncrement();
        OpenFile file = null;
        try {
            int openFlags;
            int backingId = 0;
            synchronized (backings) {
                boolean backed = backings.containsKey(node) || (passthrough && o.passthrough() && cachedOpens.getOrDefault(node, 0) == 0);
                file = new OpenFile(node, o.content(), o.writable(), backed, o.released(), o.accessed());
                if (watchWrites && o.writable()) {
                    file.noteTimes();
                }
                if (backed) {
                    // The kernel allows no page-cache flags beside FOPEN_PASSTHROUGH: it caches the backing file itself.
                    backingId = acquireBacking(node, o.content().path(), o.writable());
                    openFlags = FuseKernel.FOPEN_PASSTHROUGH;
                } else {
                    file.fd(); // fail the open now rather than its first read
                    cachedOpens.merge(node, 1, Integer::sum);
                    openFlags = o.keepCache() ? FuseKernel.FOPEN_KEEP_CACHE : 0;
                }
            }
            handles.put(fh, file);
            return new Handle(fh, openFlags, backingId);
        } catch (IOException e) {
            if (file != null) {
                file.closeDescriptor();
            }
            if (o.released() != null) {
                o.released().run();
            }
            throw e;
        }
    }

    /** The open file of a handle; null when the kernel names none this session gave out. */
    OpenFile get(long fh) {
        return handles.get(fh);
    }

    /** The kernel released a handle; returns its file, or null for a handle this session did not give out. */
    OpenFile release(long fh) {
        OpenFile file = handles.remove(fh);
        if (file != null) {
            close(file);
        }
        return file;
    }

    /** At unmount: closes what is still open; returns how many handles that was. */
    int closeAll() {
        int left = handles.size();
        handles.values().forEach(this::close);
        handles.clear();
        return left;
    }

    private void close(OpenFile file) {
        file.closeDescriptor();
        try {
            synchronized (backings) {
                if (!file.backed) {
                    cachedOpens.computeIfPresent(file.node, (node, n) -> n > 1 ? n - 1 : null);
                } else {
                    Backing b = backings.get(file.node);
                    if (b != null && --b.opens == 0) {
                        backings.remove(file.node);
                        Passthrough.close(device, b.id);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("closing a file handle failed: {}", e.toString());
        }
        if (file.released != null) {
            file.released.run();
        }
    }

    /** Called with {@link #backings} held. */
    private int acquireBacking(long node, Path file, boolean writable) throws IOException {
        Backing b = backings.get(node);
        if (b == null) {
            b = new Backing(Passthrough.open(device, file, writable));
            backings.put(node, b);
        }
        b.opens++;
        return b.id;
    }
}
