package dev.strata.actors;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.DirEntry;
import dev.strata.engine.Errno;
import dev.strata.engine.FsException;
import dev.strata.engine.NodeTable;
import dev.strata.engine.Permissions;
import dev.strata.actors.fs.Caller;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.SharedAnswers;
import dev.strata.engine.View;
import dev.strata.engine.Overlay;
import dev.strata.engine.ScratchCommit;
import dev.strata.engine.WorkMeter;
import dev.strata.persistence.Digest;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import java.nio.file.Path;
import java.io.IOException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One runtime's view: answers the kernel's requests from the processes routed to it. Node ids come
 * from the mount-wide {@link NodeTable}, so views share a node id only for identical objects.
 * Its state is derived from the repository, so a restart by its supervisor reloads the same view.
 */
public final class Mount extends AbstractBehavior<Mount.Command> {
    /** Directory listings per READDIR reply, at most; the bridge trims to the kernel's buffer. */
    private static final int LISTING_BATCH = 256;

    public sealed interface Command permits Handle, InjectFailure, Released, Accessed, Commit, Diff, CommitDone, Capture, CaptureDone {
    }

    /**
     * A kernel request and where its answer goes. The answer is a callback rather than an ActorRef:
     * the bridge writes it to /dev/fuse on this actor's thread, which saves a hop and a temporary
     * actor per request (the hot path of every stat and read).
     */
    public record Handle(FsRequest request, Consumer<FsReply> reply) implements Command {
    }

    /** Fault injection for tests: the actor throws while handling it, as a bug would. */
    public record InjectFailure(String why) implements Command {
    }

    /** The kernel released an open handle of an editable runtime's object. */
    record Released(Overlay.Node node, boolean writer) implements Command {
    }

    /** A handle of an editable runtime's lower file was first read. */
    record Accessed(Overlay.Node node) implements Command {
    }

    /** Commit the scratch of an editable runtime into a layer (a read-only runtime refuses); {@code meter} follows the work. */
    public record Commit(String tag, String message, int by, WorkMeter meter, ActorRef<CommitOutcome> replyTo) implements Command {
    }

    /** {@code layer} null when there was nothing to commit; {@code error} set when the commit failed or was refused. */
    public record CommitOutcome(Digest layer, int entries, long bytes, List<String> layers, String error) {
    }

    /** What the scratch changed, as {@code strata diff} lists it. */
    public record Diff(ActorRef<DiffOutcome> replyTo) implements Command {
    }

    public record DiffOutcome(List<ScratchCommit.Listed> changes, String error) {
    }

    private record CommitDone(Scratch.Committed committed, ActorRef<CommitOutcome> replyTo) implements Command {
    }

    /** Freeze the runtime's view as snapshot {@code name}: its layers plus one holding what the scratch changed. */
    public record Capture(String name, Path dir, WorkMeter meter, ActorRef<CaptureOutcome> replyTo) implements Command {
    }

    /** {@code snapshot} on success, {@code error} otherwise. */
    public record CaptureOutcome(SnapshotRecord snapshot, String error) {
    }

    private record CaptureDone(Scratch.Captured captured, ActorRef<CaptureOutcome> replyTo) implements Command {
    }

    /** Loads the view; called again when the actor restarts. */
    @FunctionalInterface
    public interface ViewSource {
        View load();
    }

    private final View view;
    /** Set for an editable runtime, with {@link #view} null. */
    private EditableView editable;
    private RuntimeRecord record;
    private final Scratch.Setup scratchSetup;
    private final ActorRef<Scratch.Command> scratch;
    private final StashBuffer<Command> stash;
    private final NodeTable nodes;
    private final Map<Long, Integer> viewNodes = new HashMap<>();
    /** The reverse: the id this view's node was last given, so a repeated lookup skips building its key. */
    private final Map<Integer, Long> idsOfViewNodes = new HashMap<>();

    private final ProcessTable processes;
    /** What the kernel may keep of this view's answers; {@link #base} null for a view that shares none (the default view). */
    private final SharedAnswers answers;
    private final String viewId;
    private SharedAnswers.Base base;

    /** The default view: it shares no answer with the runtimes' views. */
    public static Behavior<Command> create(ViewSource source, NodeTable nodes, ProcessTable processes) {
        return Behaviors.setup(ctx -> new Mount(ctx, source.load(), null, null, nodes, processes, null));
    }

    /** A read-only runtime's Mount, joined to the shared answers as {@code viewId}; its record, if any, lives in {@code dir.runtimeDir()}, removed when it ends. */
    public static Behavior<Command> readOnly(ViewSource source, Scratch.Setup dir, NodeTable nodes, ProcessTable processes, String viewId) {
        return Behaviors.setup(ctx -> new Mount(ctx, source.load(), dir, null, nodes, processes, viewId));
    }

    /** An editable runtime's Mount: its record and scratch are read from {@code setup.runtimeDir()} (again on a restart). */
    public static Behavior<Command> editable(Scratch.Setup setup, NodeTable nodes, ProcessTable processes, String viewId) {
        return Behaviors.withStash(STASH_CAPACITY, stash -> Behaviors.setup(ctx -> new Mount(ctx, null, setup, stash, nodes, processes, viewId)));
    }

    private static final int STASH_CAPACITY = 100_000;

    private Mount(ActorContext<Command> ctx, View view, Scratch.Setup setup, StashBuffer<Command> stash, NodeTable nodes,
                  ProcessTable processes, String viewId) throws IOException {
        super(ctx);
        this.view = view;
        this.nodes = nodes;
        this.processes = processes;
        this.scratchSetup = setup;
        this.stash = stash;
        this.answers = nodes.answers();
        this.viewId = viewId;
        if (view == null) {
            record = RuntimeRecord.read(setup.runtimeDir());
            if (record == null) {
                throw new IOException("no runtime record in " + setup.runtimeDir());
            }
            editable = editableView(Scratch.open(setup, record));
            scratch = ctx.spawn(Scratch.create(setup), "scratch", DispatcherSelector.fromConfig("strata.blocking-dispatcher"));
            settleShared();
        } else {
            scratch = null;
            base = viewId == null ? null : answers.baseOf(viewId);
        }
    }

    /**
     * An editable view marks what its scratch changed (a resumed runtime's, or after a restart) before
     * it joins on its stack: until then the runtimes agree on nothing (Runtimes joined it unsettled).
     */
    private void settleShared() {
        if (viewId == null) {
            return;
        }
        Overlay overlay = editable.overlay();
        for (Overlay.Change c : overlay.changes()) {
            int slash = c.path().lastIndexOf('/');
            answers.diverge(viewId, slash < 0 ? "" : c.path().substring(0, slash), false);
            answers.diverge(viewId, c.path(), true);
        }
        answers.join(viewId, layers(), path -> {
            int n = overlay.lower().manifest().find(path);
            return n != Manifest.NOT_FOUND && overlay.lower().isDirectory(n);
        }, true);
        base = answers.baseOf(viewId);
    }

    private EditableView editableView(Overlay overlay) {
        ActorRef<Command> self = getContext().getSelf();
        return new EditableView(overlay, nodes, scratchSetup.identity(), record.commits(), (node, writer) -> self.tell(new Released(node, writer)),
                node -> self.tell(new Accessed(node)), viewId);
    }

    /** The caller's credentials; supplementary groups are read from the process table only if a check needs them. */
    private Permissions.Credentials credentials(Caller caller) {
        return new Permissions.Credentials() {
            private int[] groups;

            @Override
            public int uid() {
                return caller.uid();
            }

            @Override
            public int gid() {
                return caller.gid();
            }

            @Override
            public boolean inSupplementaryGroup(int gid) {
                if (groups == null) {
                    groups = processes.groups(caller.tid());
                }
                for (int g : groups) {
                    if (g == gid) {
                        return true;
                    }
                }
                return false;
            }
        };
    }

    private void check(FsRequest r, int node, int mask, String what) throws FsException {
        if (!Permissions.allows(view.attributes(node), credentials(r.caller()), mask)) {
            // the message (a path walk) is built only for a denial: this runs on every LOOKUP
            throw new FsException(Errno.EACCES, "permission denied: " + what + " /" + view.manifest().path(node));
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Handle.class, this::onHandle)
                .onMessage(InjectFailure.class, this::onInjectFailure)
                .onMessage(Released.class, this::onReleased)
                .onMessage(Accessed.class, this::onAccessed)
                .onMessage(Commit.class, this::onCommit)
                .onMessage(Diff.class, this::onDiff)
                .onMessage(Capture.class, this::onCapture)
                .onSignal(PostStop.class, s -> onPostStop())
                .onSignal(PreRestart.class, s -> closeScratch())
                .build();
    }

    /** Before a restart: the new incarnation reopens the scratch from disk. */
    private Behavior<Command> closeScratch() {
        if (editable != null) {
            try {
                editable.overlay().close();
            } catch (IOException e) {
                getContext().getLog().warn("closing the scratch of runtime {} failed: {}", record.name(), e.toString());
            }
        }
        return this;
    }

    private Behavior<Command> onReleased(Released r) {
        if (editable != null) {
            editable.released(r.node(), r.writer());
        }
        return this;
    }

    private Behavior<Command> onAccessed(Accessed a) {
        if (editable != null) {
            try {
                editable.accessed(a.node());
            } catch (FsException e) {
                getContext().getLog().warn("runtime {}: the atime of a read file was not recorded: {}", record.name(), e.getMessage());
            }
        }
        return this;
    }

    private Behavior<Command> onDiff(Diff d) {
        if (editable == null) {
            d.replyTo().tell(new DiffOutcome(List.of(), "this runtime is read-only: it has no changes"));
        } else {
            d.replyTo().tell(new DiffOutcome(ScratchCommit.list(editable.overlay()), null));
        }
        return this;
    }

    /**
     * A commit holds every request of this runtime (stashed) until the layer is stored and the new,
     * empty scratch is open, so nothing changes under it and nothing is answered from a half state.
     */
    private Behavior<Command> onCommit(Commit c) {
        if (editable == null) {
            c.replyTo().tell(new CommitOutcome(null, 0, 0, List.of(), "this runtime is read-only: start it with --edit to commit"));
            return this;
        }
        List<String> writing = editable.openForWriting(5);
        if (!writing.isEmpty()) {
            c.replyTo().tell(new CommitOutcome(null, 0, 0, layers(), "files are open for writing: " + String.join(", ", writing)
                    + "; close them and commit again"));
            return this;
        }
        ActorRef<Scratch.Committed> done = getContext().messageAdapter(Scratch.Committed.class, m -> new CommitDone(m, c.replyTo()));
        scratch.tell(new Scratch.Commit(editable.overlay(), record, c.tag(), c.message(), c.by(), c.meter(), done));
        return Behaviors.receive(Command.class)
                .onMessage(CommitDone.class, this::onCommitDone)
                .onSignal(PostStop.class, s -> {
                    // the runtime ended under the commit (its last tree went): its caller hears so, not a timeout
                    c.replyTo().tell(new CommitOutcome(null, 0, 0, layers(), "the runtime ended before its commit finished"));
                    return onPostStop();
                })
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onCommitDone(CommitDone d) {
        Scratch.Committed c = d.committed();
        if (c.failure() != null) {
            getContext().getLog().warn("commit of runtime {} failed: {}", record.name(), c.failure().toString());
            d.replyTo().tell(new CommitOutcome(null, 0, 0, layers(), "commit failed: " + c.failure().getMessage()));
        } else if (c.result().empty()) {
            d.replyTo().tell(new CommitOutcome(null, 0, 0, layers(), null));
        } else {
            record = c.record();
            EditableView committed = editableView(c.overlay());
            committed.adopt(editable);
            editable = committed;
            getContext().getLog().info("runtime {} committed layer {}", record.name(), c.result().layer().hex());
            d.replyTo().tell(new CommitOutcome(c.result().layer(), c.result().entries(), c.result().bytes(), layers(), null));
        }
        return stash.unstashAll(this);
    }

    /** Like a commit, a capture holds the runtime's requests until the layer and the snapshot record are written. */
    private Behavior<Command> onCapture(Capture c) {
        if (editable == null) {
            c.replyTo().tell(new CaptureOutcome(null, "this runtime is read-only: its env spec is its snapshot"));
            return this;
        }
        ActorRef<Scratch.Captured> done = getContext().messageAdapter(Scratch.Captured.class, m -> new CaptureDone(m, c.replyTo()));
        scratch.tell(new Scratch.Capture(editable.overlay(), record, c.name(), c.dir(), c.meter(), done));
        return Behaviors.receive(Command.class)
                .onMessage(CaptureDone.class, d -> {
                    Scratch.Captured captured = d.captured();
                    d.replyTo().tell(captured.failure() != null
                            ? new CaptureOutcome(null, "snapshot failed: " + captured.failure().getMessage())
                            : new CaptureOutcome(captured.snapshot(), null));
                    return stash.unstashAll(this);
                })
                .onSignal(PostStop.class, s -> {
                    c.replyTo().tell(new CaptureOutcome(null, "the runtime ended before its snapshot finished"));
                    return onPostStop();
                })
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private List<String> layers() {
        return record.layers().stream().map(Digest::hex).toList();
    }

    /** The runtime ended (not a restart): close the scratch, and remove it unless the runtime is durable. */
    private Behavior<Command> onPostStop() {
        if (viewId != null) {
            answers.leave(viewId); // after its last answer: none it gave for its changes may then look shared
        }
        if (editable != null) {
            try {
                editable.overlay().close();
                if (!record.durable() && scratchSetup.owns()) {
                    Renderer.deleteTree(scratchSetup.runtimeDir());
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                getContext().getLog().warn("cleaning up runtime {} failed: {}", record.name(), e.toString());
            }
        } else if (scratchSetup != null && scratchSetup.owns()) {
            Renderer.deleteTree(scratchSetup.runtimeDir()); // a read-only runtime's record and process trees
        }
        return this;
    }

    private Behavior<Command> onInjectFailure(InjectFailure f) {
        throw new IllegalStateException("injected failure: " + f.why());
    }

    private Behavior<Command> onHandle(Handle h) {
        if (h.request() instanceof FsRequest.Open o) {
            dev.strata.persistence.Digest missing = contentToFetch(o.node());
            if (missing != null) {
                fetchThenAnswer(missing, h);
                return this;
            }
        }
        // an answer the kernel may keep is written before a runtime on another base can join
        long stamp = answers.enter();
        try {
            FsReply reply;
            try {
                reply = answer(h.request());
            } catch (FsException e) {
                reply = new FsReply.Error(e.errno(), e.getMessage());
            } catch (RuntimeException bug) {
                // answer before the supervisor restarts us: the kernel must never wait for a lost request
                h.reply().accept(new FsReply.Error(Errno.EIO, "internal error: " + bug));
                throw bug;
            }
            h.reply().accept(reply);
        } finally {
            answers.exit(stamp);
        }
        return this;
    }

    /** The blob an open of {@code id} must wait for (read-through from a remote); null when its content is here. */
    private dev.strata.persistence.Digest contentToFetch(long id) {
        if (editable != null) {
            return editable.contentToFetch(id);
        }
        try {
            return view.contentToFetch(viewNode(id));
        } catch (FsException e) {
            return null;
        }
    }

    /**
     * Waits for a download off this Mount's thread (a download takes long; the Mount's dispatcher is
     * shared), then handles the open again with the content here; a failed download fails the open with EIO.
     */
    private void fetchThenAnswer(dev.strata.persistence.Digest blob, Handle h) {
        View lower = editable != null ? editable.overlay().lower() : view;
        ActorRef<Command> self = getContext().getSelf();
        java.util.concurrent.CompletableFuture.runAsync(() -> lower.fetch(blob), FETCH_WAITERS).whenComplete((done, failure) -> {
            if (failure == null) {
                self.tell(h);
            } else {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                h.reply().accept(new FsReply.Error(Errno.EIO, "the content is not here and could not be fetched: " + cause.getMessage()));
            }
        });
    }

    /** Threads that wait for read-through downloads (the downloads run in the read-through's own pool). */
    private static final java.util.concurrent.ExecutorService FETCH_WAITERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "strata-fetch-wait");
        t.setDaemon(true);
        return t;
    });

    private FsReply answer(FsRequest r) throws FsException {
        if (editable != null) {
            return editable.answer(r, credentials(r.caller()));
        }
        if (r instanceof FsRequest.Lookup l) {
            int dir = directory(l.parent());
            check(r, dir, Permissions.EXECUTE, "search");
            return entry(dir, l.parent(), l.name(), view.lookup(dir, l.name()));
        } else if (r instanceof FsRequest.GetAttr g) {
            int node = viewNode(g.node());
            boolean directory = view.isDirectory(node);
            return new FsReply.Attr(attributes(g.node(), node), !directory || shareDirectory(node, g.node()));
        } else if (r instanceof FsRequest.ReadLink rl) {
            return new FsReply.Bytes(view.readlink(viewNode(rl.node())));
        } else if (r instanceof FsRequest.Open o) {
            return open(o);
        } else if (r instanceof FsRequest.OpenDir od) {
            int dir = directory(od.node());
            check(r, dir, Permissions.READ, "list");
            boolean kept = base != null && answers.remembers(view.manifest().path(dir));
            boolean shared = shareDirectory(dir, od.node());
            return new FsReply.OpenedDir(shared, shared && kept);
        } else if (r instanceof FsRequest.ReadDir rd) {
            return readdir(rd);
        } else if (r instanceof FsRequest.StatFs) {
            return new FsReply.StatFs(view.statfs());
        } else if (r instanceof FsRequest.Access a) {
            int node = viewNode(a.node());
            if ((a.mask() & Permissions.WRITE) != 0) {
                throw new FsException(Errno.EROFS, "this runtime is read-only");
            }
            check(r, node, a.mask() & (Permissions.READ | Permissions.EXECUTE), "access");
            return new FsReply.Ok();
        } else if (r instanceof FsRequest.GetXattr gx) {
            int node = viewNode(gx.node());
            if (gx.name().startsWith("user.")) {
                check(r, node, Permissions.READ, "read attributes of");
            }
            return new FsReply.Xattr(view.getxattr(node, gx.name()));
        } else if (r instanceof FsRequest.ListXattr lx) {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            for (String name : view.xattrs(viewNode(lx.node())).keySet()) {
                names.writeBytes(name.getBytes(StandardCharsets.UTF_8));
                names.write(0);
            }
            return new FsReply.XattrList(names.toByteArray());
        } else if (r instanceof FsRequest.Sync) {
            return new FsReply.Ok();
        } else if (r instanceof FsRequest.Change c) {
            throw new FsException(Errno.EROFS, c.operation() + " in a read-only runtime");
        }
        throw new FsException(Errno.ENOSYS, "unsupported request " + r.getClass().getSimpleName());
    }

    private FsReply open(FsRequest.Open o) throws FsException {
        int node = viewNode(o.node());
        if (o.intent().writes()) {
            throw new FsException(Errno.EROFS, "opening for writing in a read-only runtime");
        }
        if (view.isDirectory(node)) {
            throw new FsException(Errno.EISDIR, "cannot open a directory as a file");
        }
        // an execve's open needs execute permission, every other read open read permission
        check(o, node, o.intent().exec() ? Permissions.EXECUTE : Permissions.READ, "open");
        Path blob = view.blobPath(node);
        return new FsReply.Opened(blob);
    }

    private FsReply readdir(FsRequest.ReadDir rd) throws FsException {
        int dir = directory(rd.node());
        List<FsReply.DirEntry> out = new ArrayList<>();
        for (DirEntry e : view.readdir(dir, rd.offset(), LISTING_BATCH)) {
            boolean dot = e.name().length <= 2 && e.name()[0] == '.' && (e.name().length == 1 || e.name()[1] == '.');
            if (rd.plus() && !dot) {
                // READDIRPLUS entries count as lookups in the kernel, like LOOKUP replies
                FsReply.Entry entry = entry(dir, rd.node(), e.name(), e.node());
                out.add(new FsReply.DirEntry(e.name(), entry.node(), entry.node(), e.typeBits(), e.offset(), entry.attributes(),
                        entry.cacheAttributes(), entry.entryCaching()));
            } else {
                out.add(new FsReply.DirEntry(e.name(), e.ino(), 0, e.typeBits(), e.offset(), null));
            }
        }
        return new FsReply.DirEntries(out);
    }

    /** {@code node}, named {@code name} in directory {@code dir} (kernel id {@code parent}): shared when every runtime agrees on it. */
    private FsReply.Entry entry(int dir, long parent, byte[] name, int node) {
        long id = acquire(node);
        boolean directory = view.isDirectory(node);
        String path = base == null ? null : view.manifest().path(node);
        // a hard-linked file's other names would go on showing what an editable view changed through one of them
        boolean shared = path != null && view.searchableByAll(dir) && (directory || view.manifest().linkGroup(node) == 0)
                && answers.share(base, path, parent, name, directory, directory ? id : 0);
        // a directory another view moved or replaced is asked for every time: a moved entry must not outlive a walk
        FsReply.EntryCaching caching = shared ? FsReply.EntryCaching.SHARED
                : directory && (path == null || !answers.replaced(path)) ? FsReply.EntryCaching.BRIEF : FsReply.EntryCaching.NONE;
        return new FsReply.Entry(id, attributes(id, node), !directory || shared, caching);
    }

    /** May the kernel keep a directory's attributes and listing? When every runtime agrees on them, and every user may reach it. */
    private boolean shareDirectory(int dir, long id) {
        if (base == null || dir == Manifest.ROOT || !view.searchableByAll(view.manifest().parent(dir))) {
            return false;
        }
        return answers.share(base, view.manifest().path(dir), 0, null, true, id);
    }

    /** The node id for a view node, counting one kernel reference (LOOKUP and READDIRPLUS replies). */
    private long acquire(int node) {
        Long known = idsOfViewNodes.get(node);
        if (known != null && nodes.retain(known)) {
            return known;
        }
        // the names of a hard-linked object share its node, as they share an inode on a disk
        long id = nodes.acquire(NodeTable.keyOf(view.manifest(), view.linkRepresentative(node)));
        viewNodes.put(id, node);
        idsOfViewNodes.put(node, id);
        return id;
    }

    /** The kernel sees node ids as inode numbers, so a file keeps its number wherever it is identical. */
    private Attributes attributes(long id, int node) {
        return withIno(view.attributes(node), id);
    }

    private static Attributes withIno(Attributes a, long ino) {
        return a == null ? null : a.withIno(ino);
    }

    private int directory(long id) throws FsException {
        int node = viewNode(id);
        if (!view.isDirectory(node)) {
            throw new FsException(Errno.ENOTDIR, "node " + id + " is not a directory");
        }
        return node;
    }

    /** This view's node for a kernel node id; ESTALE when the id names another view's object. */
    private int viewNode(long id) throws FsException {
        Integer cached = viewNodes.get(id);
        if (cached != null) {
            return cached;
        }
        NodeTable.Key key = nodes.key(id);
        if (key == null) {
            throw new FsException(Errno.ESTALE, "node " + id + " is unknown");
        }
        Manifest m = view.manifest();
        int node = key.path().isEmpty() ? Manifest.ROOT : m.find(key.path());
        if (node == Manifest.NOT_FOUND || !NodeTable.keyOf(m, node).equals(key)) {
            throw new FsException(Errno.ESTALE, "node " + id + " (/" + key.path() + ") is not in this view");
        }
        viewNodes.put(id, node);
        return node;
    }
}
