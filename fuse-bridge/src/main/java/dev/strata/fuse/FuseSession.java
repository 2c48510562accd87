package dev.strata.fuse;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE connection: reads kernel requests from its {@link FuseChannel} on reader threads (the
 * minimum the options ask for, and more while one is held by a slow answer), has the
 * platform's {@link KernelCodec} decode each, hands file system requests to the {@link
 * RequestRouter}, and has the codec encode the answer when it comes, from whatever thread it comes
 * on ({@link Replies}). Requests on open files are served on the reader thread by {@link
 * FileRequests}, from the session's {@link OpenFiles}, when FUSE passthrough does not take them
 * (no READ then reaches userspace).
 *
 * <p>The shared mount's dentries serve every view, so it lets the kernel keep only what views agree
 * on. A connection of one view ({@link Options#ownView}, mounted by {@code strata-run --own-mount} in
 * the tree's mount namespace and {@link #adopt adopted} here) lets the kernel keep every entry,
 * attribute, negative entry and listing: every change of that view comes through it.
 */
public final class FuseSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FuseSession.class);
    private static final long CACHED_ATTR_SECONDS = 3600;
    /** A directory's entry for a moment: a request reaching it from a view without it is answered ESTALE. */
    private static final long DIRECTORY_ENTRY_SECONDS = 1;
    /** An entry every view agrees on: dropped by notification when one stops agreeing. */
    private static final long SHARED_ENTRY_SECONDS = 3600;
    /** On a connection of one view, everything: each change of the view comes through it. */
    private static final long OWN_VIEW_SECONDS = 3600;
    private static final long ANSWER_DEADLINE_NANOS = java.time.Duration.ofSeconds(30).toNanos();

    private final Path mountpoint;
    private final RequestRouter router;
    private final boolean wantPassthrough;
    private final FuseChannel channel;
    private final KernelCodec codec;
    /**
     * One reader waiting in read() answers fastest: the kernel wakes waiting readers in turn, so with
     * several each request lands on a cold thread, and with one the Mount it reaches is idle (a
     * listdir loop: 42 us with one, 76 us with four). But an answer made on a reader thread (an idle
     * Mount answers inline, an fsync waits for the disk) must not hold up the requests behind it,
     * INTERRUPTs and other runtimes' among them: a reader held longer than {@link #HELD_NANOS} gets a
     * new reader beside it, and readers beyond the minimum end once enough others wait.
     */
    private static final int MAX_READERS = 16;
    private static final long HELD_NANOS = java.time.Duration.ofMillis(10).toNanos();
    private final Set<Reader> readers = ConcurrentHashMap.newKeySet();
    /** Readers started and not ended, and how many of them wait in read() now. */
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final AtomicInteger waitingReaders = new AtomicInteger();
    private final AtomicInteger readersStarted = new AtomicInteger();
    private final int minimumReaders;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean ownView;
    /** What runs when the session ends; null once it has. Guarded by {@link #endLock}. */
    private java.util.List<Runnable> whenEnded = new java.util.ArrayList<>();
    private final Object endLock = new Object();
    private final OpenFiles files;
    /** Requests sent on and not answered yet. */
    private final Map<Long, Pending> inFlight = new ConcurrentHashMap<>();
    private final RequestObserver observer;
    /** One thread for every session's periodic work (a connection per tree must not cost a thread more). */
    private static final java.util.concurrent.ScheduledExecutorService SWEEPER = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fuse-sweeper");
        t.setDaemon(true);
        return t;
    });
    private final java.util.List<java.util.concurrent.ScheduledFuture<?>> sweeps = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** How long an adopted connection's INIT may take to come (a descriptor whose INIT another process read never sends one). */
    private static final long HANDSHAKE_NANOS = java.time.Duration.ofSeconds(5).toNanos();
    private final Replies replies;
    private final FileRequests fileRequests;
    private volatile boolean passthrough;
    private volatile int kernelMinor;

    /**
     * Mount options; {@code readerThreads} is the minimum number of readers kept waiting on the device;
     * {@code ownView}: the connection serves one view alone, so the kernel may keep all it is told.
     */
    public record Options(Path mountpoint, int readerThreads, boolean passthrough, RequestObserver observer, boolean ownView) {
        public Options(Path mountpoint, int readerThreads, boolean passthrough) {
            this(mountpoint, readerThreads, passthrough, RequestObserver.NONE);
        }

        public Options(Path mountpoint, int readerThreads, boolean passthrough, RequestObserver observer) {
            this(mountpoint, readerThreads, passthrough, observer, false);
        }
    }

    private FuseSession(Options options, RequestRouter router, FuseChannel channel, KernelCodec codec) {
        this.mountpoint = options.mountpoint();
        this.router = router;
        this.observer = options.observer();
        this.wantPassthrough = options.passthrough();
        this.ownView = options.ownView();
        this.minimumReaders = Math.max(1, options.readerThreads());
        this.channel = channel;
        this.codec = codec;
        this.files = new OpenFiles(channel.fd(), options.ownView());
        this.replies = new Replies(channel, codec);
        this.fileRequests = new FileRequests(files, replies);
    }

    /** Mounts, answers INIT, and starts serving. */
    public static FuseSession mount(Options options, RequestRouter router) throws IOException {
        Path mp = options.mountpoint().toAbsolutePath().normalize();
        Mounts.clearStale(mp); // first: a stale mount point answers every stat with ENOTCONN
        Files.createDirectories(mp);
        FuseChannel channel = FuseChannel.mount(mp);
        return start(new Options(mp, options.readerThreads(), options.passthrough() && !channel.unprivileged(), options.observer(),
                options.ownView()), router, channel);
    }

    /**
     * Serves the connection process {@code pid} mounted at {@code options.mountpoint()} in its own
     * mount namespace, on its descriptor {@code fdInProcess} (the kernel's INIT waits on it). The
     * session ends when {@link #close()}d, or by itself when the namespace's last process exits.
     */
    public static FuseSession adopt(Options options, RequestRouter router, int pid, int fdInProcess) throws IOException {
        return start(options, router, FuseChannel.adopt(pid, fdInProcess, options.mountpoint()));
    }

    private static FuseSession start(Options options, RequestRouter router, FuseChannel channel) throws IOException {
        Path mp = options.mountpoint();
        FuseSession session = new FuseSession(options, router, channel, KernelCodec.forHost());
        try {
            session.handshake();
            channel.initialized();
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        for (int i = 0; i < session.minimumReaders; i++) {
            session.startReader();
        }
        session.sweeps.add(SWEEPER.scheduleWithFixedDelay(session::sweepUnanswered, 5, 5, java.util.concurrent.TimeUnit.SECONDS));
        session.sweeps.add(SWEEPER.scheduleWithFixedDelay(session::watchReaders, 10, 10, java.util.concurrent.TimeUnit.MILLISECONDS));
        log.info("{} {} (protocol 7.{}, passthrough {})", channel.adopted() ? "serving one view's own connection at" : "mounted", mp,
                session.kernelMinor, session.passthrough);
        return session;
    }

    public Path mountpoint() {
        return mountpoint;
    }

    public boolean passthrough() {
        return passthrough;
    }

    /** The first request is always INIT; it is answered before anything else is read. */
    private void handshake() throws IOException {
        // Linux reads INIT into any buffer of FUSE_MIN_READ_BUFFER (8 KiB): a connection per tree should not
        // cost this thread a megabyte (macFUSE asks for the whole one)
        ByteBuffer in = ByteBuffer.allocateDirect(FuseNative.DARWIN ? FuseKernel.REQUEST_BUFFER : 64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        long n = channel.read(in, System.nanoTime() + HANDSHAKE_NANOS);
        if (n < KernelCodec.IN_HEADER) {
            throw new IOException("no INIT from the kernel: " + (n < 0 ? FuseNative.describe((int) -n) : n + " bytes"));
        }
        in.limit((int) n);
        KernelCodec.Init init;
        try {
            init = codec.decodeInit(in);
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage());
        }
        if (init.major() != KernelCodec.MAJOR) {
            throw new IOException("kernel speaks FUSE " + init.major() + "." + init.minor() + "; Strata speaks 7.x");
        }
        kernelMinor = Math.min(init.minor(), codec.newestMinor());
        long flags = codec.wantedFlags(init.flags(), kernelMinor, wantPassthrough);
        ByteBuffer out = ByteBuffer.allocateDirect(1024).order(ByteOrder.LITTLE_ENDIAN).position(KernelCodec.OUT_HEADER);
        codec.putInit(out, kernelMinor, init.maxReadahead(), flags, FuseKernel.MAX_WRITE, FuseKernel.MAX_PAGES_VALUE);
        replies.send(out, init.unique());
        passthrough = (flags & FuseKernel.PASSTHROUGH) != 0;
    }

    /** Readers now: the minimum, and those started while every reader was held. */
    public int readers() {
        return liveReaders.get();
    }

    /** A reader thread, and since when it has been handling the request it read (0 while it waits). */
    private final class Reader implements Runnable {
        private final Thread thread = new Thread(this, "fuse-reader-" + readersStarted.getAndIncrement());
        private volatile long busySince;

        @Override
        public void run() {
            serve(this);
        }
    }

    private void startReader() {
        liveReaders.incrementAndGet();
        Reader reader = new Reader();
        reader.thread.setDaemon(true);
        readers.add(reader);
        reader.thread.start();
    }

    /** Every few milliseconds: when no reader waits and one has been held too long, another is started. */
    private void watchReaders() {
        if (closed.get() || waitingReaders.get() > 0 || liveReaders.get() >= MAX_READERS) {
            return;
        }
        long now = System.nanoTime();
        for (Reader r : readers) {
            long since = r.busySince;
            if (since != 0 && now - since > HELD_NANOS) {
                log.debug("every FUSE reader is busy and {} has been for {} ms: starting another", r.thread.getName(), (now - since) / 1_000_000);
                startReader();
                return;
            }
        }
    }

    /** After an answer: a reader beyond the minimum ends when the minimum wait without it. */
    private boolean retire() {
        int live = liveReaders.get();
        return live > minimumReaders && waitingReaders.get() >= minimumReaders && liveReaders.compareAndSet(live, live - 1);
    }

    private void serve(Reader me) {
        ByteBuffer in = ByteBuffer.allocateDirect(FuseKernel.REQUEST_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        while (!closed.get()) {
            in.clear();
            waitingReaders.incrementAndGet();
            long n = channel.read(in);
            waitingReaders.decrementAndGet();
            if (n < 0) {
                int e = (int) -n;
                if (e == FuseNative.EINTR || e == FuseNative.EAGAIN || e == FuseNative.ENOENT) {
                    continue;
                }
                if (e != FuseNative.ENODEV && !closed.get()) {
                    log.warn("reading the FUSE device failed: {}", FuseNative.describe(e));
                }
                if (channel.adopted() && !closed.get()) {
                    close(); // the kernel ended the connection: the namespace's last process exited
                }
                return; // ENODEV: unmounted, the session is over
            }
            me.busySince = System.nanoTime() | 1; // never 0, which means waiting
            in.limit((int) n);
            KernelRequest request = null;
            try {
                request = codec.decode(in);
                handle(request, in);
            } catch (RuntimeException e) {
                log.error("a bug while handling {}: {}", request == null ? "opcode " + in.getInt(4) : request.operation(), e.toString(), e);
                replies.error(in.getLong(8), Errno.EIO);
            }
            me.busySince = 0;
            if (retire()) {
                readers.remove(me);
                return;
            }
        }
    }

    private void handle(KernelRequest request, ByteBuffer in) {
        Operation op = request.operation();
        observer.received(op);
        long unique = request.unique();
        KernelRequest.Work work = request.work();
        if (ownView && op == Operation.OPENDIR) {
            replies.error(unique, Errno.ENOSYS); // from now on the kernel opens directories itself and keeps their listings
        } else if (work instanceof KernelRequest.Routed r) {
            dispatch(op, unique, r.request(), r.replySize());
        } else if (work instanceof KernelRequest.Read r) {
            fileRequests.read(unique, r.fh(), r.offset(), r.size());
        } else if (work instanceof KernelRequest.Write w) {
            fileRequests.write(unique, w, in);
        } else if (work instanceof KernelRequest.Release r) {
            long wrote = fileRequests.release(unique, r.fh());
            if (ownView && wrote != 0) {
                // a write through a shared mapping passes the kernel's FUSE inode by: its kept attributes go
                replies.notifyKernel(codec.putInvalAttributes(replies.body(), wrote), KernelCodec.NOTIFY_INVAL_INODE);
            }
        } else if (work instanceof KernelRequest.Forget f) {
            for (int i = 0; i < f.nodes().length; i++) {
                router.forget(f.nodes()[i], f.counts()[i]);
            }
        } else if (work instanceof KernelRequest.Fsync f) {
            if (fileRequests.syncData(unique, f)) {
                dispatch(op, unique, new FsRequest.Sync(f.caller(), f.node()), 0);
            }
        } else if (work instanceof KernelRequest.Fallocate f) {
            fileRequests.fallocate(unique, f.fh(), f.offset(), f.length(), f.mode());
        } else if (work instanceof KernelRequest.Seek s) {
            fileRequests.lseek(unique, s.fh(), s.offset(), s.toData());
        } else if (work instanceof KernelRequest.CopyRange c) {
            fileRequests.copyFileRange(unique, c);
        } else if (work instanceof KernelRequest.Interrupt i) {
            interrupt(unique, i.target());
        } else if (work instanceof KernelRequest.Acknowledge) {
            replies.empty(unique);
        } else if (work instanceof KernelRequest.Refuse r) {
            replies.error(unique, r.errno());
        }
    }

    /**
     * A request handed on and not answered yet: when it came, and whether an INTERRUPT may answer it
     * EINTR at once (it changes nothing, or what it holds is given back when its own answer comes).
     */
    private record Pending(long started, boolean interruptible) {
    }

    /** Requests that only read, and opens that do not truncate: an EINTR for them leaves nothing half done. */
    private static boolean interruptible(Operation op, FsRequest request) {
        return switch (op) {
            case LOOKUP, GETATTR, READLINK, READ, READDIR, READDIRPLUS, OPENDIR, STATFS, GETXATTR, LISTXATTR, ACCESS, GETXTIMES -> true;
            case OPEN -> request instanceof FsRequest.Open o && !o.intent().truncate();
            default -> false;
        };
    }

    /**
     * The caller of {@code target} got a signal and the kernel asks us to give up. A request still
     * waiting for its answer (a blob being fetched from a remote, a busy runtime) that only reads is
     * answered EINTR now, so the caller (even one being killed) goes on; one that changes something
     * gets its normal answer. A target not handed on yet is met with EAGAIN: the kernel asks again.
     */
    private void interrupt(long unique, long target) {
        Pending pending = inFlight.get(target);
        if (pending == null) {
            replies.error(unique, Errno.EAGAIN); // answered already: the kernel drops this
        } else if (pending.interruptible() && inFlight.remove(target, pending)) {
            replies.error(target, Errno.EINTR);
        }
    }

    /** Sends the request on and answers the kernel when the reply comes; {@code size} is the kernel's buffer for sized replies. */
    private void dispatch(Operation op, long unique, FsRequest request, int size) {
        inFlight.put(unique, new Pending(System.nanoTime(), interruptible(op, request)));
        router.dispatch(request, reply -> {
            Pending pending = inFlight.remove(unique);
            if (pending == null) {
                giveBack(request, reply); // answered already, by an interrupt or the sweeper
                return;
            }
            observer.answered(op, System.nanoTime() - pending.started(), reply instanceof FsReply.Error);
            try {
                answer(op, unique, request, reply, size);
            } catch (RuntimeException e) {
                log.error("a bug while answering {}: {}", request, e.toString(), e);
                replies.error(unique, Errno.EIO);
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
                replies.error(e.getKey(), Errno.EIO);
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

    private void answer(Operation op, long unique, FsRequest request, FsReply reply, int size) {
        ByteBuffer out = replies.body();
        if (reply instanceof FsReply.Error e) {
            if (ownView && op == Operation.LOOKUP && e.errno() == Errno.ENOENT) {
                codec.putNegativeEntry(out, OWN_VIEW_SECONDS); // kept until this view makes the name
                replies.send(out, unique);
            } else {
                replies.error(unique, e.errno());
            }
            return;
        } else if (reply instanceof FsReply.Entry e) {
            putEntry(out, e.node(), e.attributes(), e.cacheAttributes(), e.entryCaching());
        } else if (reply instanceof FsReply.Attr a) {
            if (op == Operation.GETXTIMES) {
                codec.putXtimes(out, a.attributes());
            } else {
                codec.putAttrOut(out, a.attributes(), ownView ? ownViewAttrSeconds(a.attributes(), a.cacheAttributes())
                        : a.cacheAttributes() ? CACHED_ATTR_SECONDS : 0);
            }
        } else if (reply instanceof FsReply.Bytes b) {
            out.put(b.value());
        } else if (reply instanceof FsReply.Opened o) {
            if (!open(out, ((FsRequest.Open) request).node(), o)) {
                replies.error(unique, Errno.EIO);
                return;
            }
        } else if (reply instanceof FsReply.Created c) {
            putEntry(out, c.entry().node(), c.entry().attributes(), c.entry().cacheAttributes(), c.entry().entryCaching());
            if (!open(out, c.entry().node(), c.opened())) {
                router.forget(c.entry().node(), 1);
                replies.error(unique, Errno.EIO);
                return;
            }
        } else if (reply instanceof FsReply.OpenedDir d) {
            // without KEEP_CACHE the kernel drops the listing it kept: another view may have filled it
            boolean cache = d.cacheListing() && kernelMinor >= 28; // FOPEN_CACHE_DIR came with 7.28 (macFUSE speaks 7.19)
            int flags = cache ? FuseKernel.FOPEN_CACHE_DIR | (d.keepListing() ? FuseKernel.FOPEN_KEEP_CACHE : 0) : 0;
            codec.putOpen(out, 0, flags, 0);
        } else if (reply instanceof FsReply.DirEntries d) {
            putDirEntries(out, d, ((FsRequest.ReadDir) request).plus(), size);
        } else if (reply instanceof FsReply.StatFs s) {
            codec.putStatFs(out, s.value());
        } else if (reply instanceof FsReply.Xattr x) {
            if (!putSized(out, x.value(), size, unique)) {
                return;
            }
        } else if (reply instanceof FsReply.XattrList l) {
            if (!putSized(out, l.names(), size, unique)) {
                return;
            }
        }
        replies.send(out, unique);
    }

    /** getxattr/listxattr: size 0 asks for the length; a buffer too small is ERANGE. */
    private boolean putSized(ByteBuffer out, byte[] value, int size, long unique) {
        if (size == 0) {
            codec.putXattrSize(out, value.length);
            return true;
        }
        if (value.length > size) {
            replies.error(unique, Errno.ERANGE);
            return false;
        }
        out.put(value);
        return true;
    }

    private boolean open(ByteBuffer out, long node, FsReply.Opened o) {
        try {
            OpenFiles.Handle h = files.open(node, o, passthrough);
            codec.putOpen(out, h.fh(), h.openFlags(), h.backingId());
            return true;
        } catch (IOException e) {
            log.warn("cannot open {}: {}", o.content().path(), e.toString());
            return false;
        }
    }

    /**
     * Dentries are shared by all views, so the view says how long the kernel may keep each: a file's
     * not at all unless every view agrees on it (its node names its content, and its attributes are
     * kept); a directory's for a moment, since its node is one per path in every view and each use
     * of it reaches the owning Mount, which answers ESTALE when the caller's view has no directory
     * there (the kernel then walks the path again with LOOKUP_REVAL); either for long while every
     * view agrees ({@link dev.strata.engine.SharedAnswers}, which has it dropped by notification).
     * A connection of one view keeps all.
     */
    private void putEntry(ByteBuffer out, long node, Attributes attrs, boolean cacheAttributes, FsReply.EntryCaching caching) {
        if (ownView) {
            codec.putEntry(out, node, attrs, hardLinked(attrs) ? 0 : OWN_VIEW_SECONDS, ownViewAttrSeconds(attrs, cacheAttributes));
            return;
        }
        long entrySeconds = switch (caching) {
            case NONE -> 0;
            case BRIEF -> DIRECTORY_ENTRY_SECONDS;
            case SHARED -> SHARED_ENTRY_SECONDS;
        };
        codec.putEntry(out, node, attrs, entrySeconds, cacheAttributes ? CACHED_ATTR_SECONDS : 0);
    }

    /**
     * On a connection of one view, attributes are kept an hour, but a scratch file's (which the Mount
     * would not have kept) only a second: a write through a shared mapping that outlives the file's
     * handles changes its mtime behind the kernel. One that ends with them is caught at RELEASE.
     * A hard-linked file's are not kept, nor its entries: its names may be nodes of their own (a
     * copy-up gives the one written a new node), and a change through one would not show in the others.
     */
    private static long ownViewAttrSeconds(Attributes attrs, boolean cacheAttributes) {
        if (hardLinked(attrs)) {
            return 0;
        }
        return cacheAttributes || isDirectory(attrs) ? OWN_VIEW_SECONDS : 1;
    }

    private static boolean isDirectory(Attributes attrs) {
        return (attrs.mode() & 0170000) == 0040000;
    }

    private static boolean hardLinked(Attributes attrs) {
        return attrs.nlink() > 1 && !isDirectory(attrs);
    }

    /** The kernel's caches, for the views' {@link dev.strata.engine.SharedAnswers} to drop what they no longer agree on. */
    public dev.strata.engine.SharedAnswers.KernelCaches kernelCaches() {
        return new dev.strata.engine.SharedAnswers.KernelCaches() {
            @Override
            public void dropEntry(long parent, byte[] name) {
                ByteBuffer out = replies.body();
                codec.putInvalEntry(out, parent, name);
                replies.notifyKernel(out, KernelCodec.NOTIFY_INVAL_ENTRY);
            }

            @Override
            public void dropAttributes(long node) {
                ByteBuffer out = replies.body();
                codec.putInvalInode(out, node);
                replies.notifyKernel(out, KernelCodec.NOTIFY_INVAL_INODE);
            }
        };
    }

    /** Packs entries into the kernel's buffer; entries that do not fit give back the lookups they took. */
    private void putDirEntries(ByteBuffer out, FsReply.DirEntries d, boolean plus, int size) {
        int limit = KernelCodec.OUT_HEADER + Math.min(size, FuseKernel.MAX_WRITE);
        for (FsReply.DirEntry e : d.entries()) {
            if (out.position() + codec.direntSize(e.name().length, plus) > limit) {
                if (e.node() != 0) {
                    router.forget(e.node(), 1);
                }
                continue;
            }
            if (plus) {
                if (e.attributes() == null) {
                    codec.putNoEntry(out);
                } else {
                    putEntry(out, e.node(), e.attributes(), e.cacheAttributes(), e.entryCaching());
                }
            }
            codec.putDirent(out, e.ino(), e.offset(), e.typeBits(), e.name());
        }
    }

    /** Unmounts (lazily, so busy processes do not keep the daemon from stopping) and ends the session. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        sweeps.forEach(sweep -> sweep.cancel(false));
        channel.unmount();
        for (Reader r : readers) {
            if (r.thread == Thread.currentThread()) {
                continue; // a reader that saw the connection end closes the session
            }
            try {
                r.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int left = files.closeAll();
        if (left > 0) {
            log.info("closed {} file handles left open at unmount", left);
        }
        channel.close();
        log.info("{} {}", channel.adopted() ? "ended the connection of" : "unmounted", mountpoint);
        java.util.List<Runnable> actions;
        synchronized (endLock) {
            actions = whenEnded;
            whenEnded = null;
        }
        actions.forEach(Runnable::run);
    }

    /** Runs {@code action} once the session has ended (closed, or its connection ended by the kernel): now, if it has. */
    public void whenEnded(Runnable action) {
        synchronized (endLock) {
            if (whenEnded != null) {
                whenEnded.add(action);
                return;
            }
        }
        action.run();
    }
}
