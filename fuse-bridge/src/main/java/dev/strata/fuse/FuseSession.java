package dev.strata.fuse;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE connection: mounts {@code /dev/fuse} at a mount point, reads kernel requests on a few
 * threads, decodes each into an {@link FsRequest} for the {@link RequestRouter}, and encodes the
 * answer when it comes, from whatever thread it comes on. Requests on open files are served here,
 * from the session's {@link OpenFiles}: by FUSE passthrough when the kernel offers it (no READ then
 * reaches userspace), otherwise from the file's content on the reader thread.
 */
public final class FuseSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FuseSession.class);
    private static final long CACHED_ATTR_SECONDS = 3600;
    private static final long DIRECTORY_ENTRY_SECONDS = 1;
    private static final long ANSWER_DEADLINE_NANOS = java.time.Duration.ofSeconds(30).toNanos();

    private final Path mountpoint;
    private final RequestRouter router;
    private final boolean wantPassthrough;
    private final int fd;
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final OpenFiles files;
    /** Requests sent on and not answered yet. */
    private final Map<Long, Pending> inFlight = new ConcurrentHashMap<>();
    private final RequestObserver observer;
    private final java.util.concurrent.ScheduledExecutorService sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fuse-sweeper");
        t.setDaemon(true);
        return t;
    });
    private final ThreadLocal<ByteBuffer> replyBuffers =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(FuseKernel.OUT_HEADER + FuseKernel.MAX_WRITE).order(ByteOrder.LITTLE_ENDIAN));
    private volatile boolean passthrough;
    private volatile int kernelMinor;

    /** Mount options. */
    public record Options(Path mountpoint, int readerThreads, boolean passthrough, RequestObserver observer) {
        public Options(Path mountpoint, int readerThreads, boolean passthrough) {
            this(mountpoint, readerThreads, passthrough, RequestObserver.NONE);
        }
    }

    private FuseSession(Options options, RequestRouter router, int fd) {
        this.mountpoint = options.mountpoint();
        this.router = router;
        this.observer = options.observer();
        this.wantPassthrough = options.passthrough();
        this.fd = fd;
        this.files = new OpenFiles(fd);
    }

    /** Mounts, answers INIT, and starts serving. */
    public static FuseSession mount(Options options, RequestRouter router) throws IOException {
        Path mp = options.mountpoint().toAbsolutePath().normalize();
        Mounts.clearStale(mp); // first: a stale mount point answers every stat with ENOTCONN
        Files.createDirectories(mp);
        // Without root: fusermount3 mounts for this user alone, and passthrough (CAP_SYS_ADMIN) is off.
        boolean unprivileged = Fusermount.needed();
        int fd = unprivileged ? Fusermount.mount(mp) : mountAsRoot(mp);
        FuseSession session = new FuseSession(new Options(mp, options.readerThreads(), options.passthrough() && !unprivileged,
                options.observer()), router, fd);
        try {
            session.handshake();
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        for (int i = 0; i < Math.max(1, options.readerThreads()); i++) {
            Thread t = new Thread(session::serve, "fuse-reader-" + i);
            t.setDaemon(true);
            session.readers.add(t);
            t.start();
        }
        session.sweeper.scheduleWithFixedDelay(session::sweepUnanswered, 5, 5, java.util.concurrent.TimeUnit.SECONDS);
        log.info("mounted {} (protocol 7.{}, passthrough {})", mp, session.kernelMinor, session.passthrough);
        return session;
    }

    /** mount(2) of /dev/fuse for every user (allow_other); returns the descriptor. */
    private static int mountAsRoot(Path mp) throws IOException {
        int fd = FuseNative.LIBC.open("/dev/fuse", FuseNative.O_RDWR | FuseNative.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open /dev/fuse: " + FuseNative.describe(FuseNative.errno()));
        }
        // No default_permissions: the Mount checks permissions itself, so the kernel does not fetch the
        // (never cached, per view) attributes of every directory on every path walk.
        String data = "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0,allow_other";
        if (FuseNative.LIBC.mount("strata", mp.toString(), "fuse.strata", FuseNative.MS_NOSUID | FuseNative.MS_NODEV, data) != 0) {
            int e = FuseNative.errno();
            FuseNative.LIBC.close(fd);
            throw new IOException("cannot mount FUSE at " + mp + ": " + FuseNative.describe(e));
        }
        return fd;
    }

    public Path mountpoint() {
        return mountpoint;
    }

    public boolean passthrough() {
        return passthrough;
    }

    /** The first request is always INIT; it is answered before anything else is read. */
    private void handshake() throws IOException {
        ByteBuffer in = ByteBuffer.allocateDirect(FuseKernel.REQUEST_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        long n = FuseNative.LIBC.read(fd, in, in.capacity());
        if (n < FuseKernel.IN_HEADER) {
            throw new IOException("no INIT from the kernel: " + FuseNative.describe(FuseNative.errno()));
        }
        in.limit((int) n);
        int opcode = in.getInt(4);
        long unique = in.getLong(8);
        if (opcode != FuseKernel.INIT) {
            throw new IOException("expected INIT from the kernel, got opcode " + opcode);
        }
        int major = in.getInt(40);
        int minor = in.getInt(44);
        int maxReadahead = in.getInt(48);
        long offered = Integer.toUnsignedLong(in.getInt(52));
        if ((offered & FuseKernel.INIT_EXT) != 0) {
            offered |= Integer.toUnsignedLong(in.getInt(56)) << 32;
        }
        if (major != FuseKernel.MAJOR) {
            throw new IOException("kernel speaks FUSE " + major + "." + minor + "; Strata speaks 7.x");
        }
        kernelMinor = Math.min(minor, FuseKernel.MINOR);
        long want = FuseKernel.ASYNC_READ | FuseKernel.ATOMIC_O_TRUNC | FuseKernel.BIG_WRITES | FuseKernel.DO_READDIRPLUS
                | FuseKernel.READDIRPLUS_AUTO | FuseKernel.PARALLEL_DIROPS | FuseKernel.MAX_PAGES | FuseKernel.CACHE_SYMLINKS
                | FuseKernel.INIT_EXT;
        if (wantPassthrough && kernelMinor >= FuseKernel.PASSTHROUGH_MINOR) {
            want |= FuseKernel.PASSTHROUGH;
        }
        long flags = offered & want;
        ByteBuffer out = replyBuffers.get();
        out.clear();
        out.position(FuseKernel.OUT_HEADER);
        out.putInt(FuseKernel.MAJOR).putInt(kernelMinor).putInt(maxReadahead).putInt((int) flags);
        out.putShort((short) 64).putShort((short) 48);               // max_background, congestion_threshold
        out.putInt(FuseKernel.MAX_WRITE).putInt(1);                  // max_write, time_gran (ns)
        out.putShort((short) FuseKernel.MAX_PAGES_VALUE).putShort((short) 0);
        out.putInt((int) (flags >>> 32));                            // flags2
        out.putInt((flags & FuseKernel.PASSTHROUGH) != 0 ? 1 : 0);   // max_stack_depth
        while (out.position() < FuseKernel.OUT_HEADER + FuseKernel.INIT_OUT) {
            out.put((byte) 0);
        }
        send(out, unique, 0);
        passthrough = (flags & FuseKernel.PASSTHROUGH) != 0;
    }

    private void serve() {
        ByteBuffer in = ByteBuffer.allocateDirect(FuseKernel.REQUEST_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        while (!closed.get()) {
            in.clear();
            long n = FuseNative.LIBC.read(fd, in, in.capacity());
            if (n < 0) {
                int e = FuseNative.errno();
                if (e == FuseNative.EINTR || e == FuseNative.EAGAIN || e == FuseNative.ENOENT) {
                    continue;
                }
                if (e != FuseNative.ENODEV && !closed.get()) {
                    log.warn("reading /dev/fuse failed: {}", FuseNative.describe(e));
                }
                return; // ENODEV: unmounted, the session is over
            }
            in.limit((int) n);
            try {
                handle(in);
            } catch (RuntimeException e) {
                log.error("a bug while handling opcode {}: {}", in.getInt(4), e.toString(), e);
                replyError(in.getLong(8), dev.strata.engine.Errno.EIO.code());
            }
        }
    }

    private void handle(ByteBuffer in) {
        int opcode = in.getInt(4);
        observer.received(opcode);
        long unique = in.getLong(8);
        long node = in.getLong(16);
        Caller caller = new Caller(in.getInt(32), in.getInt(24), in.getInt(28));
        in.position(FuseKernel.IN_HEADER);
        switch (opcode) {
            case FuseKernel.LOOKUP -> dispatch(opcode, unique, new FsRequest.Lookup(caller, node, cString(in)), 0);
            case FuseKernel.FORGET -> router.forget(node, in.getLong());
            case FuseKernel.BATCH_FORGET -> {
                int count = in.getInt();
                in.getInt();
                for (int i = 0; i < count; i++) {
                    router.forget(in.getLong(), in.getLong());
                }
            }
            case FuseKernel.GETATTR -> dispatch(opcode, unique, new FsRequest.GetAttr(caller, node), 0);
            case FuseKernel.READLINK -> dispatch(opcode, unique, new FsRequest.ReadLink(caller, node), 0);
            case FuseKernel.OPEN -> dispatch(opcode, unique, new FsRequest.Open(caller, node, in.getInt()), 0);
            case FuseKernel.READ -> read(unique, in.getLong(), in.getLong(), in.getInt());
            case FuseKernel.WRITE -> write(unique, in);
            case FuseKernel.RELEASE -> release(unique, in.getLong());
            // Locks are the kernel's (no POSIX_LOCKS) and data needs no flushing: ENOSYS tells the kernel
            // to stop sending FLUSH, one round trip per close(2).
            case FuseKernel.FLUSH -> replyError(unique, dev.strata.engine.Errno.ENOSYS.code());
            case FuseKernel.RELEASEDIR -> replyEmpty(unique);
            case FuseKernel.FSYNC -> fsync(unique, caller, node, in.getLong(), in.getInt());
            case FuseKernel.FSYNCDIR -> dispatch(opcode, unique, new FsRequest.Sync(caller, node), 0);
            case FuseKernel.FALLOCATE -> fallocate(unique, in.getLong(), in.getLong(), in.getLong(), in.getInt());
            case FuseKernel.LSEEK -> lseek(unique, in.getLong(), in.getLong(), in.getInt());
            case FuseKernel.COPY_FILE_RANGE -> copyFileRange(unique, in);
            case FuseKernel.OPENDIR -> dispatch(opcode, unique, new FsRequest.OpenDir(caller, node), 0);
            case FuseKernel.READDIR, FuseKernel.READDIRPLUS -> {
                in.getLong(); // fh
                long offset = in.getLong();
                int size = in.getInt();
                dispatch(opcode, unique, new FsRequest.ReadDir(caller, node, offset, opcode == FuseKernel.READDIRPLUS), size);
            }
            case FuseKernel.STATFS -> dispatch(opcode, unique, new FsRequest.StatFs(caller, node), 0);
            case FuseKernel.ACCESS -> dispatch(opcode, unique, new FsRequest.Access(caller, node, in.getInt()), 0);
            case FuseKernel.GETXATTR -> {
                int size = in.getInt();
                in.getInt();
                dispatch(opcode, unique, new FsRequest.GetXattr(caller, node, new String(cString(in), StandardCharsets.UTF_8)), size);
            }
            case FuseKernel.LISTXATTR -> dispatch(opcode, unique, new FsRequest.ListXattr(caller, node), in.getInt());
            case FuseKernel.CREATE -> {
                int flags = in.getInt();
                int mode = in.getInt();
                in.getInt(); // umask: applied to mode by the kernel already (no DONT_MASK)
                in.getInt();
                dispatch(opcode, unique, new FsRequest.Create(caller, node, cString(in), mode, flags), 0);
            }
            case FuseKernel.MKNOD -> {
                int mode = in.getInt();
                long rdev = Integer.toUnsignedLong(in.getInt());
                in.getLong();
                dispatch(opcode, unique, new FsRequest.MakeNode(caller, node, cString(in), mode, rdev), 0);
            }
            case FuseKernel.MKDIR -> {
                int mode = in.getInt();
                in.getInt();
                dispatch(opcode, unique, new FsRequest.MakeDirectory(caller, node, cString(in), mode), 0);
            }
            case FuseKernel.SYMLINK -> {
                byte[] name = cString(in);
                dispatch(opcode, unique, new FsRequest.Symlink(caller, node, name, cString(in)), 0);
            }
            case FuseKernel.LINK -> {
                long target = in.getLong();
                dispatch(opcode, unique, new FsRequest.Link(caller, target, node, cString(in)), 0);
            }
            case FuseKernel.UNLINK -> dispatch(opcode, unique, new FsRequest.Unlink(caller, node, cString(in)), 0);
            case FuseKernel.RMDIR -> dispatch(opcode, unique, new FsRequest.RemoveDirectory(caller, node, cString(in)), 0);
            case FuseKernel.RENAME, FuseKernel.RENAME2 -> {
                long newParent = in.getLong();
                int flags = 0;
                if (opcode == FuseKernel.RENAME2) {
                    flags = in.getInt();
                    in.getInt();
                }
                byte[] name = cString(in);
                dispatch(opcode, unique, new FsRequest.Rename(caller, node, name, newParent, cString(in), flags), 0);
            }
            case FuseKernel.SETATTR -> dispatch(opcode, unique, setattr(caller, node, in), 0);
            case FuseKernel.SETXATTR -> {
                int size = in.getInt();
                int flags = in.getInt();
                String name = new String(cString(in), StandardCharsets.UTF_8);
                byte[] value = new byte[Math.min(size, in.remaining())];
                in.get(value);
                dispatch(opcode, unique, new FsRequest.SetXattr(caller, node, name, value, flags), 0);
            }
            case FuseKernel.REMOVEXATTR -> dispatch(opcode, unique, new FsRequest.RemoveXattr(caller, node, new String(cString(in), StandardCharsets.UTF_8)), 0);
            case FuseKernel.INTERRUPT -> interrupt(unique, in.getLong());
            case FuseKernel.DESTROY -> replyEmpty(unique);
            case FuseKernel.TMPFILE -> {
                // fuse_create_in, then the name of the kernel's anonymous dentry ("/"), which names nothing
                int flags = in.getInt();
                int mode = in.getInt();
                dispatch(opcode, unique, new FsRequest.CreateUnnamed(caller, node, mode, flags), 0);
            }
            default -> replyError(unique, dev.strata.engine.Errno.ENOSYS.code());
        }
    }

    /** fuse_setattr_in: valid, padding, fh, size, lock_owner, atime, mtime, ctime, their nanoseconds, mode, unused, uid, gid. */
    private static FsRequest.SetAttr setattr(Caller caller, long node, ByteBuffer in) {
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
        return new FsRequest.SetAttr(caller, node, valid & ~FuseKernel.FATTR_FH, (valid & FuseKernel.FATTR_FH) != 0, mode, uid, gid,
                size, atime * 1_000_000_000L + atimeNanos, mtime * 1_000_000_000L + mtimeNanos);
    }

    /** Names in requests are NUL-terminated. */
    private static byte[] cString(ByteBuffer in) {
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

    /**
     * A request handed on and not answered yet: when it came, and whether an INTERRUPT may answer it
     * EINTR at once (it changes nothing, or what it holds is given back when its own answer comes).
     */
    private record Pending(long started, boolean interruptible) {
    }

    /** Requests that only read, and opens that do not truncate: an EINTR for them leaves nothing half done. */
    private static boolean interruptible(int opcode, FsRequest request) {
        return switch (opcode) {
            case FuseKernel.LOOKUP, FuseKernel.GETATTR, FuseKernel.READLINK, FuseKernel.READ, FuseKernel.READDIR, FuseKernel.READDIRPLUS,
                 FuseKernel.OPENDIR, FuseKernel.STATFS, FuseKernel.GETXATTR, FuseKernel.LISTXATTR, FuseKernel.ACCESS -> true;
            case FuseKernel.OPEN -> request instanceof FsRequest.Open o && (o.flags() & O_TRUNC) == 0;
            default -> false;
        };
    }

    private static final int O_TRUNC = 01000;

    /**
     * The caller of {@code target} got a signal and the kernel asks us to give up. A request still
     * waiting for its answer (a blob being fetched from a remote, a busy runtime) that only reads is
     * answered EINTR now, so the caller (even one being killed) goes on; one that changes something
     * gets its normal answer. A target not handed on yet is met with EAGAIN: the kernel asks again.
     */
    private void interrupt(long unique, long target) {
        Pending pending = inFlight.get(target);
        if (pending == null) {
            replyError(unique, dev.strata.engine.Errno.EAGAIN.code()); // answered already: the kernel drops this
        } else if (pending.interruptible() && inFlight.remove(target, pending)) {
            replyError(target, dev.strata.engine.Errno.EINTR.code());
        }
    }

    /** Sends the request on and answers the kernel when the reply comes; {@code size} is the kernel's buffer for sized replies. */
    private void dispatch(int opcode, long unique, FsRequest request, int size) {
        inFlight.put(unique, new Pending(System.nanoTime(), interruptible(opcode, request)));
        router.dispatch(request, reply -> {
            Pending pending = inFlight.remove(unique);
            if (pending == null) {
                giveBack(request, reply); // answered already, by an interrupt or the sweeper
                return;
            }
            observer.answered(opcode, System.nanoTime() - pending.started(), reply instanceof FsReply.Error);
            try {
                answer(unique, request, reply, size);
            } catch (RuntimeException e) {
                log.error("a bug while answering {}: {}", request, e.toString(), e);
                replyError(unique, dev.strata.engine.Errno.EIO.code());
            }
        });
    }

    /**
     * A request whose answer never comes (its Mount stopped with it in the mailbox) would hang the
     * calling process forever; after {@link #ANSWER_DEADLINE_NANOS} it is answered with EIO.
     */
    private void sweepUnanswered() {
        long now = System.nanoTime();
        for (Map.Entry<Long, Pending> e : inFlight.entrySet()) {
            if (now - e.getValue().started() > ANSWER_DEADLINE_NANOS && inFlight.remove(e.getKey(), e.getValue())) {
                log.warn("request {} got no answer in {} s: answering EIO", e.getKey(), ANSWER_DEADLINE_NANOS / 1_000_000_000L);
                replyError(e.getKey(), dev.strata.engine.Errno.EIO.code());
            }
        }
    }

    /**
     * An answer that comes after its request was answered otherwise: the kernel never saw the nodes
     * it looked up nor the file it opened, so their counts and handles are given back.
     */
    private void giveBack(FsRequest request, FsReply reply) {
        if (reply instanceof FsReply.Entry e && e.node() != 0) {
            router.forget(e.node(), 1);
        } else if (reply instanceof FsReply.Opened o && o.released() != null) {
            o.released().run();
        } else if (reply instanceof FsReply.Created c) {
            router.forget(c.entry().node(), 1);
            if (c.opened().released() != null) {
                c.opened().released().run();
            }
        } else if (reply instanceof FsReply.DirEntries d && request instanceof FsRequest.ReadDir r && r.plus()) {
            d.entries().stream().filter(e -> e.node() != 0).forEach(e -> router.forget(e.node(), 1));
        }
    }

    private void answer(long unique, FsRequest request, FsReply reply, int size) {
        ByteBuffer out = replyBuffers.get();
        out.clear();
        out.position(FuseKernel.OUT_HEADER);
        if (reply instanceof FsReply.Error e) {
            replyError(unique, e.errno().code());
            return;
        } else if (reply instanceof FsReply.Entry e) {
            putEntry(out, e.node(), e.attributes(), e.cacheAttributes());
        } else if (reply instanceof FsReply.Attr a) {
            out.putLong(a.cacheAttributes() ? CACHED_ATTR_SECONDS : 0).putInt(0).putInt(0);
            putAttr(out, a.attributes());
        } else if (reply instanceof FsReply.Bytes b) {
            out.put(b.value());
        } else if (reply instanceof FsReply.Opened o) {
            if (!open(out, ((FsRequest.Open) request).node(), o)) {
                replyError(unique, dev.strata.engine.Errno.EIO.code());
                return;
            }
        } else if (reply instanceof FsReply.Created c) {
            putEntry(out, c.entry().node(), c.entry().attributes(), c.entry().cacheAttributes());
            if (!open(out, c.entry().node(), c.opened())) {
                router.forget(c.entry().node(), 1);
                replyError(unique, dev.strata.engine.Errno.EIO.code());
                return;
            }
        } else if (reply instanceof FsReply.OpenedDir) {
            out.putLong(0).putInt(0).putInt(0);
        } else if (reply instanceof FsReply.DirEntries d) {
            putDirEntries(out, d, ((FsRequest.ReadDir) request).plus(), size);
        } else if (reply instanceof FsReply.StatFs s) {
            var v = s.value();
            out.putLong(v.blocks()).putLong(v.blocksFree()).putLong(v.blocksAvailable()).putLong(v.files()).putLong(v.filesFree());
            out.putInt(v.blockSize()).putInt(v.nameMax()).putInt(v.blockSize()).putInt(0);
            for (int i = 0; i < 6; i++) {
                out.putInt(0);
            }
        } else if (reply instanceof FsReply.Xattr x) {
            if (!putSized(out, x.value(), size, unique)) {
                return;
            }
        } else if (reply instanceof FsReply.XattrList l) {
            if (!putSized(out, l.names(), size, unique)) {
                return;
            }
        }
        send(out, unique, 0);
    }

    /** getxattr/listxattr: size 0 asks for the length; a buffer too small is ERANGE. */
    private boolean putSized(ByteBuffer out, byte[] value, int size, long unique) {
        if (size == 0) {
            out.putInt(value.length).putInt(0);
            return true;
        }
        if (value.length > size) {
            replyError(unique, dev.strata.engine.Errno.ERANGE.code());
            return false;
        }
        out.put(value);
        return true;
    }

    private boolean open(ByteBuffer out, long node, FsReply.Opened o) {
        try {
            OpenFiles.Handle h = files.open(node, o, passthrough);
            out.putLong(h.fh()).putInt(h.openFlags()).putInt(h.backingId());
            return true;
        } catch (IOException e) {
            log.warn("cannot open {}: {}", o.content().path(), e.toString());
            return false;
        }
    }

    /** The open file of a handle, or null after answering EBADF. */
    private OpenFiles.OpenFile handle(long unique, long fh) {
        OpenFiles.OpenFile file = files.get(fh);
        if (file == null) {
            replyError(unique, dev.strata.engine.Errno.EBADF.code());
        }
        return file;
    }

    /** The open file of a handle opened for writing, or null after answering EBADF. */
    private OpenFiles.OpenFile writableHandle(long unique, long fh) {
        OpenFiles.OpenFile file = files.get(fh);
        if (file == null || !file.writable) {
            replyError(unique, dev.strata.engine.Errno.EBADF.code());
            return null;
        }
        return file;
    }

    private void read(long unique, long fh, long offset, int size) {
        OpenFiles.OpenFile file = handle(unique, fh);
        if (file == null) {
            return;
        }
        ByteBuffer out = replyBuffers.get();
        out.clear();
        try {
            int want = Math.min(size, FuseKernel.MAX_WRITE);
            file.content.ensure(offset, want);
            int fileFd = file.fd();
            int done = 0;
            while (done < want) {
                ByteBuffer slice = out.position(FuseKernel.OUT_HEADER + done).slice();
                long n = FuseNative.LIBC.pread(fileFd, slice, want - done, offset + done);
                if (n < 0) {
                    replyError(unique, FuseNative.errno());
                    return;
                }
                if (n == 0) {
                    break;
                }
                done += (int) n;
            }
            out.position(FuseKernel.OUT_HEADER + done);
        } catch (IOException e) {
            replyError(unique, dev.strata.engine.Errno.EIO.code());
            return;
        }
        Runnable accessed = file.accessed;
        if (accessed != null) {
            // before the answer, so the atime is moved when the reader's next stat asks (the kernel
            // marks a FUSE file's atime stale after a read)
            file.accessed = null;
            accessed.run();
        }
        send(out, unique, 0);
    }

    /** fuse_write_in: fh, offset, size, write_flags, lock_owner, flags, padding; then the data. */
    private void write(long unique, ByteBuffer in) {
        long fh = in.getLong();
        long offset = in.getLong();
        int size = in.getInt();
        OpenFiles.OpenFile file = writableHandle(unique, fh);
        if (file == null) {
            return;
        }
        try {
            file.content.ensure(offset, size);
            int fileFd = file.fd();
            int done = 0;
            while (done < size) {
                ByteBuffer data = in.position(FuseKernel.IN_HEADER + 40 + done).slice();
                long n = FuseNative.LIBC.pwrite(fileFd, data, size - done, offset + done);
                if (n < 0) {
                    replyError(unique, FuseNative.errno());
                    return;
                }
                done += (int) n;
            }
            replyWritten(unique, done);
        } catch (IOException e) {
            replyError(unique, dev.strata.engine.Errno.EIO.code());
        }
    }

    private void replyWritten(long unique, long written) {
        ByteBuffer out = replyBuffers.get();
        out.clear();
        out.position(FuseKernel.OUT_HEADER);
        out.putInt((int) written).putInt(0);
        send(out, unique, 0);
    }

    /** The file's data is synced here; the view's journal (names, metadata) by its Mount. */
    private void fsync(long unique, Caller caller, long node, long fh, int flags) {
        OpenFiles.OpenFile file = files.get(fh);
        if (file != null && file.writable) {
            try {
                file.content.ensureAll();
                int fileFd = file.fd();
                int r = (flags & FuseKernel.FSYNC_FDATASYNC) != 0 ? FuseNative.LIBC.fdatasync(fileFd) : FuseNative.LIBC.fsync(fileFd);
                if (r != 0) {
                    replyError(unique, FuseNative.errno());
                    return;
                }
            } catch (IOException e) {
                replyError(unique, dev.strata.engine.Errno.EIO.code());
                return;
            }
        }
        dispatch(FuseKernel.FSYNC, unique, new FsRequest.Sync(caller, node), 0);
    }

    private void fallocate(long unique, long fh, long offset, long length, int mode) {
        OpenFiles.OpenFile file = writableHandle(unique, fh);
        if (file == null) {
            return;
        }
        try {
            file.content.ensureAll();
            if (FuseNative.LIBC.fallocate(file.fd(), mode, offset, length) != 0) {
                replyError(unique, FuseNative.errno());
                return;
            }
        } catch (IOException e) {
            replyError(unique, dev.strata.engine.Errno.EIO.code());
            return;
        }
        replyEmpty(unique);
    }

    /** SEEK_DATA and SEEK_HOLE reach us (the kernel answers the other whences): ask the backing file. */
    private void lseek(long unique, long fh, long offset, int whence) {
        OpenFiles.OpenFile file = handle(unique, fh);
        if (file == null) {
            return;
        }
        try {
            file.content.ensureAll();
            long at = FuseNative.LIBC.lseek(file.fd(), offset, whence);
            if (at < 0) {
                replyError(unique, FuseNative.errno());
                return;
            }
            ByteBuffer out = replyBuffers.get();
            out.clear();
            out.position(FuseKernel.OUT_HEADER);
            out.putLong(at);
            send(out, unique, 0);
        } catch (IOException e) {
            replyError(unique, dev.strata.engine.Errno.EIO.code());
        }
    }

    /** fuse_copy_file_range_in: fh_in, off_in, nodeid_out, fh_out, off_out, len, flags. */
    private void copyFileRange(long unique, ByteBuffer in) {
        long fhIn = in.getLong();
        long offIn = in.getLong();
        in.getLong();
        long fhOut = in.getLong();
        long offOut = in.getLong();
        long length = in.getLong();
        OpenFiles.OpenFile source = handle(unique, fhIn);
        if (source == null) {
            return;
        }
        OpenFiles.OpenFile target = writableHandle(unique, fhOut);
        if (target == null) {
            return;
        }
        try {
            source.content.ensure(offIn, length);
            target.content.ensure(offOut, length);
            long n = FuseNative.LIBC.copy_file_range(source.fd(), new long[] {offIn}, target.fd(), new long[] {offOut},
                    Math.min(length, Integer.MAX_VALUE), 0);
            if (n < 0) {
                replyError(unique, FuseNative.errno());
                return;
            }
            replyWritten(unique, n);
        } catch (IOException e) {
            replyError(unique, dev.strata.engine.Errno.EIO.code());
        }
    }

    private void release(long unique, long fh) {
        files.release(fh);
        replyEmpty(unique);
    }

    /**
     * Dentries are shared by all views. A file's dentry is never cached: its node's attributes are
     * (node ids name content), so a cached file dentry would show one view's file to another without
     * asking. A directory's node is one per path in every view and its attributes are never cached,
     * so each use of it reaches the owning Mount, which answers ESTALE when the caller's view has no
     * directory there; the kernel then walks the path again with LOOKUP_REVAL. So a directory's
     * dentry may live a little, saving a LOOKUP per directory level of every path walk.
     */
    private void putEntry(ByteBuffer out, long node, Attributes attrs, boolean cacheAttributes) {
        boolean directory = (attrs.mode() & 0170000) == 0040000;
        out.putLong(node).putLong(0);                                  // nodeid, generation
        out.putLong(directory ? DIRECTORY_ENTRY_SECONDS : 0).putLong(cacheAttributes ? CACHED_ATTR_SECONDS : 0);
        out.putInt(0).putInt(0);
        putAttr(out, attrs);
    }

    private static void putAttr(ByteBuffer out, Attributes a) {
        out.putLong(a.ino()).putLong(a.size()).putLong(a.blocks());
        out.putLong(Math.floorDiv(a.atimeNanos(), 1_000_000_000L)).putLong(Math.floorDiv(a.mtimeNanos(), 1_000_000_000L))
                .putLong(Math.floorDiv(a.ctimeNanos(), 1_000_000_000L));
        out.putInt((int) Math.floorMod(a.atimeNanos(), 1_000_000_000L)).putInt((int) Math.floorMod(a.mtimeNanos(), 1_000_000_000L))
                .putInt((int) Math.floorMod(a.ctimeNanos(), 1_000_000_000L));
        out.putInt(a.mode()).putInt(a.nlink()).putInt(a.uid()).putInt(a.gid()).putInt((int) a.rdev());
        out.putInt(4096).putInt(0);                                     // blksize, flags
    }

    /** Packs entries into the kernel's buffer; entries that do not fit give back the lookups they took. */
    private void putDirEntries(ByteBuffer out, FsReply.DirEntries d, boolean plus, int size) {
        int limit = FuseKernel.OUT_HEADER + Math.min(size, FuseKernel.MAX_WRITE);
        for (FsReply.DirEntry e : d.entries()) {
            int nameLength = e.name().length;
            int direntSize = (FuseKernel.DIRENT + nameLength + 7) & ~7;
            int need = plus ? FuseKernel.ENTRY_OUT + direntSize : direntSize;
            if (out.position() + need > limit) {
                if (e.node() != 0) {
                    router.forget(e.node(), 1);
                }
                continue;
            }
            if (plus) {
                if (e.attributes() == null) {
                    for (int i = 0; i < FuseKernel.ENTRY_OUT; i++) {
                        out.put((byte) 0);
                    }
                } else {
                    putEntry(out, e.node(), e.attributes(), (e.typeBits() & 0170000) != 0040000);
                }
            }
            out.putLong(e.ino()).putLong(e.offset()).putInt(nameLength).putInt((e.typeBits() >>> 12) & 017);
            out.put(e.name());
            while ((out.position() & 7) != 0) {
                out.put((byte) 0);
            }
        }
    }

    private void replyEmpty(long unique) {
        ByteBuffer out = replyBuffers.get();
        out.clear();
        out.position(FuseKernel.OUT_HEADER);
        send(out, unique, 0);
    }

    private void replyError(long unique, int errno) {
        ByteBuffer out = replyBuffers.get();
        out.clear();
        out.position(FuseKernel.OUT_HEADER);
        send(out, unique, -errno);
    }

    /** Writes header + body (the buffer's content up to its position) in one write(2). */
    private void send(ByteBuffer out, long unique, int error) {
        int length = out.position();
        out.putInt(0, length).putInt(4, error).putLong(8, unique);
        out.position(0);
        long n = FuseNative.LIBC.write(fd, out, length);
        if (n < 0) {
            int e = FuseNative.errno();
            // ENOENT: the request was interrupted and is gone; ENODEV: unmounted meanwhile
            if (e != FuseNative.ENOENT && e != FuseNative.ENODEV) {
                log.warn("writing a reply failed: {}", FuseNative.describe(e));
            }
        }
    }

    /** Unmounts (lazily, so busy processes do not keep the daemon from stopping) and ends the session. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        sweeper.shutdownNow();
        Mounts.unmount(mountpoint);
        for (Thread t : readers) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int left = files.closeAll();
        if (left > 0) {
            log.info("closed {} file handles left open at unmount", left);
        }
        FuseNative.LIBC.close(fd);
        log.info("unmounted {}", mountpoint);
    }
}
