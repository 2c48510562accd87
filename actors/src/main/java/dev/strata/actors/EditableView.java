package dev.strata.actors;

import dev.strata.actors.fs.FileContent;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import dev.strata.engine.FsException;
import dev.strata.engine.LazyCopy;
import dev.strata.engine.NodeTable;
import dev.strata.engine.OpenIntent;
import dev.strata.engine.Overlay;
import dev.strata.engine.Permissions;
import dev.strata.engine.SharedAnswers;
import dev.strata.engine.View;
import dev.strata.persistence.Manifest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The kernel side of an editable runtime's {@link Overlay}: node ids in, FUSE replies out. Part of
 * its Mount actor and run only on its thread.
 *
 * <p>Node ids: a directory gets the mount-wide id of its path, as in read-only views, so a working
 * directory survives other views walking the same path. Everything else gets an id private to this
 * runtime ({@link Private}), never shared with another view, since any of it may change here. When
 * a file's content moves to the scratch (copy-up) it gets a new id: the kernel binds one backing
 * file to a node for as long as any handle is open, so the request that caused the copy-up is
 * answered ESTALE and the kernel, as it does for ESTALE, walks the path again and finds the new id.
 *
 * <p>Unless handles hold the lower file open when it is copied up: on a local disk they would read
 * what is written next, so the file keeps its id, and every handle of that id reads and writes
 * through the kernel's page cache and the bridge ({@link FileContent}), never passthrough, which
 * would pin each handle to the content it was opened on. Lower files are therefore opened that way
 * too; their page cache is kept across opens while they are unchanged.
 */
final class EditableView {
    private static final int LISTING_BATCH = 256;

    /** The identity of an object private to one runtime; {@code epoch} changes with each commit. */
    record Private(String runtime, int epoch, long object, int generation) {
    }

    private final Overlay overlay;
    private final NodeTable nodes;
    private final String identity;
    private final int epoch;
    private final Map<Long, Overlay.Node> nodeOf = new HashMap<>();
    /** The id each node was last given, and for which generation of its content. */
    private final Map<Overlay.Node, long[]> idOf = new IdentityHashMap<>();
    /** Open handles that may write, per node: a commit waits for none. */
    private final Map<Overlay.Node, Integer> writers = new IdentityHashMap<>();
    /** The content of files whose handles follow a copy-up: lower files, and files copied up while held. */
    private final Map<Overlay.Node, FileContent> followed = new IdentityHashMap<>();
    private final BiConsumer<Overlay.Node, Boolean> onRelease;
    private final Consumer<Overlay.Node> onAccess;
    private final SharedAnswers answers;
    /** This view's name in the shared answers; null for a view that shares none. */
    private final String viewId;

    /**
     * @param onRelease called (from any thread) when the kernel releases a handle of a node; the
     *                  Mount turns it into a message, so {@link #released} runs on its thread
     * @param onAccess  the same, when a handle of a lower file is first read ({@link #accessed})
     */
    EditableView(Overlay overlay, NodeTable nodes, String identity, int epoch, BiConsumer<Overlay.Node, Boolean> onRelease,
                 Consumer<Overlay.Node> onAccess, String viewId) {
        this.overlay = overlay;
        this.nodes = nodes;
        this.answers = nodes.answers();
        this.viewId = viewId;
        this.identity = identity;
        this.epoch = epoch;
        this.onRelease = onRelease;
        this.onAccess = onAccess;
    }

    Overlay overlay() {
        return overlay;
    }

    /** Paths of files open for writing, at most {@code max} (a commit is refused while there are any). */
    List<String> openForWriting(int max) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Overlay.Node, Integer> w : writers.entrySet()) {
            if (w.getValue() > 0 && out.size() < max) {
                out.add(overlay.describe(w.getKey()));
            }
        }
        return out;
    }

    boolean hasWriters() {
        return writers.values().stream().anyMatch(n -> n > 0);
    }

    void released(Overlay.Node n, boolean writer) {
        if (writer) {
            writers.merge(n, -1, Integer::sum);
            if (writers.get(n) <= 0) {
                writers.remove(n);
            }
        }
        if (overlay.owns(n)) {
            overlay.released(n);
        } // else a handle opened before a commit: the previous scratch is gone, and its object with it
        if (n.opens() <= 0 && overlay.owns(n) && followed.containsKey(n) && (!n.hasDataFile() || overlay.copying(n) == null)) {
            followed.remove(n);
            if (n.hasDataFile()) {
                // its copy-up is complete and its handles are gone: a new id may go through passthrough again
                overlay.renew(n);
            }
        }
    }

    /** A handle of a lower file was read: its atime, as relatime would move it. */
    void accessed(Overlay.Node n) throws FsException {
        if (overlay.owns(n)) {
            overlay.accessed(n);
        }
    }

    /**
     * After a commit: the kernel's ids of the objects the previous view had given out (some still held
     * by open handles, all perhaps under entries the kernel keeps) now stand for the same objects in
     * this view, found by their names. So a handle held across the commit still answers fstat, and a
     * directory moved before it (whose id names its old path) still lists where the kernel keeps it.
     */
    void adopt(EditableView previous) {
        Map<Overlay.Node, String> paths = previous.overlay.pathsOf(List.copyOf(previous.nodeOf.values()));
        previous.nodeOf.forEach((id, old) -> {
            String path = paths.get(old);
            Overlay.Node now = path == null ? null : overlay.nodeAt(path);
            if (now != null && now.isDirectory() == old.isDirectory()) {
                bind(id, now);
            }
        });
    }

    FsReply answer(FsRequest r, Permissions.Credentials who) throws FsException {
        if (r instanceof FsRequest.Lookup l) {
            Overlay.Node dir = directory(l.parent());
            return entry(overlay.lookup(dir, l.name(), who), dir, l.parent(), l.name());
        } else if (r instanceof FsRequest.GetAttr g) {
            Overlay.Node n = node(g.node());
            return new FsReply.Attr(attributes(n, g.node()), cacheable(n) || shareDirectory(n, g.node()));
        } else if (r instanceof FsRequest.ReadLink rl) {
            return new FsReply.Bytes(overlay.readlink(node(rl.node())));
        } else if (r instanceof FsRequest.Open o) {
            return open(o, who);
        } else if (r instanceof FsRequest.OpenDir od) {
            Overlay.Node d = directory(od.node());
            if (!Permissions.allows(overlay.attributes(d), who, Permissions.READ)) {
                throw new FsException(Errno.EACCES, "permission denied: list " + overlay.describe(d));
            }
            boolean kept = viewId != null && answers.remembers(overlay.path(d));
            boolean shared = shareDirectory(d, od.node());
            return new FsReply.OpenedDir(shared, shared && kept);
        } else if (r instanceof FsRequest.ReadDir rd) {
            return readdir(rd);
        } else if (r instanceof FsRequest.StatFs) {
            return new FsReply.StatFs(overlay.statfs());
        } else if (r instanceof FsRequest.Access a) {
            Overlay.Node n = node(a.node());
            if (!Permissions.allows(overlay.attributes(n), who, a.mask())) {
                throw new FsException(Errno.EACCES, "permission denied: access " + overlay.describe(n));
            }
            return new FsReply.Ok();
        } else if (r instanceof FsRequest.GetXattr gx) {
            return new FsReply.Xattr(overlay.getxattr(node(gx.node()), gx.name(), who));
        } else if (r instanceof FsRequest.ListXattr lx) {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            for (String name : overlay.xattrs(node(lx.node())).keySet()) {
                names.writeBytes(name.getBytes(StandardCharsets.UTF_8));
                names.write(0);
            }
            return new FsReply.XattrList(names.toByteArray());
        } else if (r instanceof FsRequest.Sync) {
            overlay.sync();
            return new FsReply.Ok();
        } else if (r instanceof FsRequest.Change c) {
            return change(c, who);
        }
        throw new FsException(Errno.ENOSYS, "unsupported request " + r.getClass().getSimpleName());
    }

    private FsReply change(FsRequest.Change c, Permissions.Credentials who) throws FsException {
        diverging(c);
        if (c instanceof FsRequest.Create cr) {
            Overlay.Node n = overlay.create(directory(cr.parent()), cr.name(), cr.mode(), who);
            FsReply.Entry entry = entry(n);
            return new FsReply.Created(entry, opened(n, overlay.openCreated(n), cr.intent()));
        } else if (c instanceof FsRequest.CreateUnnamed cu) {
            Overlay.Node n = overlay.createUnnamed(directory(cu.parent()), cu.mode(), !cu.intent().exclusive(), who);
            return new FsReply.Created(entry(n), opened(n, overlay.openCreated(n), cu.intent()));
        } else if (c instanceof FsRequest.MakeNode mk) {
            return entry(overlay.mknod(directory(mk.parent()), mk.name(), mk.mode(), mk.rdev(), who));
        } else if (c instanceof FsRequest.MakeDirectory md) {
            return entry(overlay.mkdir(directory(md.parent()), md.name(), md.mode(), who));
        } else if (c instanceof FsRequest.Symlink s) {
            return entry(overlay.symlink(directory(s.parent()), s.name(), s.target(), who));
        } else if (c instanceof FsRequest.Link l) {
            return entry(overlay.link(node(l.node()), directory(l.newParent()), l.newName(), who));
        } else if (c instanceof FsRequest.Unlink u) {
            overlay.unlink(directory(u.parent()), u.name(), who);
            return new FsReply.Ok();
        } else if (c instanceof FsRequest.RemoveDirectory rm) {
            overlay.rmdir(directory(rm.parent()), rm.name(), who);
            return new FsReply.Ok();
        } else if (c instanceof FsRequest.Rename rn) {
            overlay.rename(directory(rn.parent()), rn.name(), directory(rn.newParent()), rn.newName(), rn.flags(), who);
            return new FsReply.Ok();
        } else if (c instanceof FsRequest.SetAttr sa) {
            return setattr(sa, who);
        } else if (c instanceof FsRequest.SetXattr sx) {
            overlay.setxattr(node(sx.node()), sx.name(), sx.value(), sx.flags(), who);
            return new FsReply.Ok();
        } else if (c instanceof FsRequest.RemoveXattr rx) {
            overlay.removexattr(node(rx.node()), rx.name(), who);
            return new FsReply.Ok();
        }
        throw new FsException(Errno.ENOSYS, "unsupported change " + c.operation());
    }

    private FsReply open(FsRequest.Open o, Permissions.Credentials who) throws FsException {
        Overlay.Node shared = reachedThroughSharedEntry(o.node());
        if (shared != null) {
            // one ESTALE for both: the kernel retries a walk only once, and the walk finds the copy's id
            if (o.intent().writes() && !shared.hasDataFile() && shared.kind() == dev.strata.persistence.EntryKind.FILE) {
                checkWritable(shared, who);
                copyUp(ownId(shared, o.node()), shared, !o.intent().truncate());
            }
            throw walkAgain();
        }
        Overlay.Node n = node(o.node());
        // marked at open: a handle can change the file (fchmod, ftruncate) where no walk is retried
        boolean walkAgain = !n.isDirectory() && diverge(new String[0], basePath(n));
        if (o.intent().writes() && !n.hasDataFile() && n.kind() == dev.strata.persistence.EntryKind.FILE) {
            checkWritable(n, who); // the open after the retry checks the rest
            copyUp(o.node(), n, !o.intent().truncate());
        }
        if (walkAgain || stale(o.node(), n)) {
            throw new FsException(Errno.ESTALE, overlay.describe(n) + " moved to the scratch: look it up again");
        }
        Overlay.OpenFile file = overlay.open(n, o.intent(), who);
        if (file == null) {
            throw new FsException(Errno.EISDIR, overlay.describe(n) + " is a directory");
        }
        return opened(n, file, o.intent());
    }

    /**
     * Copies a lower file up. With handles open on the kernel's id for it, the id stays and those
     * handles move to the scratch file; otherwise the copy gets a new id (the caller answers ESTALE).
     */
    private void copyUp(long id, Overlay.Node n, boolean keepContent) throws FsException {
        long[] known = idOf.get(n);
        boolean held = n.opens() > 0 && known != null && known[0] == id && known[1] == n.generation();
        overlay.copyUp(n, keepContent);
        FileContent content = followed.get(n);
        if (held && content != null) {
            idOf.put(n, new long[] {id, n.generation()});
            content.moveTo(overlay.dataPath(n), overlay.copying(n));
        } else {
            followed.remove(n);
        }
    }

    private void checkWritable(Overlay.Node n, Permissions.Credentials who) throws FsException {
        if (!Permissions.allows(overlay.attributes(n), who, Permissions.WRITE)) {
            throw new FsException(Errno.EACCES, "permission denied: open for writing " + overlay.describe(n));
        }
    }

    private FsReply.Opened opened(Overlay.Node n, Overlay.OpenFile file, OpenIntent intent) {
        overlay.opened(n);
        boolean writer = intent.writes();
        if (writer) {
            writers.merge(n, 1, Integer::sum);
        }
        Runnable release = () -> onRelease.accept(n, writer);
        FileContent content = followed.get(n);
        LazyCopy filling = overlay.copying(n);
        if (content == null && file.writable() && filling == null) {
            return new FsReply.Opened(new FileContent(file.file()), false, true, true, release, null);
        }
        if (content == null) {
            // a lower file, or a scratch file still filling: through the page cache, never passthrough
            content = new FileContent(file.file());
            content.moveTo(file.file(), filling);
            followed.put(n, content);
        }
        Runnable accessed = file.writable() ? null : () -> onAccess.accept(n);
        return new FsReply.Opened(content, !file.writable(), file.writable(), false, release, accessed);
    }

    private FsReply setattr(FsRequest.SetAttr sa, Permissions.Credentials who) throws FsException {
        Overlay.SetAttributes s = sa.change();
        Overlay.Node shared = s.viaHandle() ? null : reachedThroughSharedEntry(sa.node());
        if (shared != null) {
            if (s.has(Overlay.SetAttributes.Field.SIZE) && !shared.hasDataFile() && shared.kind() == dev.strata.persistence.EntryKind.FILE) {
                checkWritable(shared, who);
                copyUp(ownId(shared, sa.node()), shared, s.size() > 0);
            }
            throw walkAgain();
        }
        Overlay.Node n = node(sa.node());
        boolean walkAgain = viewId != null && diverge(new String[0], basePath(n));
        if (s.has(Overlay.SetAttributes.Field.SIZE) && !n.hasDataFile() && n.kind() == dev.strata.persistence.EntryKind.FILE) {
            if (!s.viaHandle()) {
                checkWritable(n, who);
            }
            copyUp(sa.node(), n, s.size() > 0);
            if (!s.viaHandle() && stale(sa.node(), n)) {
                throw new FsException(Errno.ESTALE, overlay.describe(n) + " moved to the scratch: look it up again");
            }
        }
        if (walkAgain) {
            throw walkAgain(); // one ESTALE for both reasons: the kernel retries a walk once
        }
        overlay.setAttributes(n, s, who);
        return new FsReply.Attr(attributes(n, sa.node()), cacheable(n));
    }

    private FsReply readdir(FsRequest.ReadDir rd) throws FsException {
        Overlay.Node d = directory(rd.node());
        List<FsReply.DirEntry> out = new ArrayList<>();
        for (Overlay.Listed e : overlay.readdir(d, rd.offset(), LISTING_BATCH)) {
            boolean dot = e.name().length <= 2 && e.name()[0] == '.' && (e.name().length == 1 || e.name()[1] == '.');
            if (rd.plus() && !dot) {
                // only READDIRPLUS needs attributes: for a scratch file they cost a statx
                FsReply.Entry entry = entry(e.node(), d, rd.node(), e.name());
                out.add(new FsReply.DirEntry(e.name(), e.node().id(), entry.node(), e.node().kind().typeBits(), e.offset(), entry.attributes(),
                        entry.cacheAttributes(), entry.entryCaching()));
            } else {
                out.add(new FsReply.DirEntry(e.name(), e.node().id(), 0, e.node().kind().typeBits(), e.offset(), null));
            }
        }
        return new FsReply.DirEntries(out);
    }

    private FsReply.Entry entry(Overlay.Node n) throws FsException {
        long id = acquire(n);
        return new FsReply.Entry(id, attributes(n, id), cacheable(n));
    }

    /**
     * A directory's inode number is its kernel node id, as in a read-only view: its node is one per
     * path in every view, and the kernel may keep one view's answer for all.
     */
    private Attributes attributes(Overlay.Node n, long id) throws FsException {
        Attributes a = overlay.attributes(n);
        return n.isDirectory() ? a.withIno(id) : a;
    }

    /**
     * A looked-up object, named {@code name} in {@code dir} (kernel id {@code parent}). A directory
     * of the base that this view has not changed is shared when every runtime agrees on it; one this
     * view changed is not kept at all, so that a walk retried after ESTALE reaches this view.
     * Everything else has an id private to this runtime, never kept.
     */
    private FsReply.Entry entry(Overlay.Node n, Overlay.Node dir, long parent, byte[] name) throws FsException {
        long id = acquire(n);
        Attributes attrs = attributes(n, id);
        if (!n.isDirectory()) {
            return new FsReply.Entry(id, attrs, cacheable(n), FsReply.EntryCaching.NONE);
        }
        String path = viewId == null ? null : overlay.path(n);
        boolean shared = path != null && overlay.lowerNodeOf(n) >= 0 && searchableByAll(dir)
                && answers.share(answers.baseOf(viewId), path, parent, name, true, id);
        // a directory this view replaced, renamed or re-permissioned may have entries kept below it: a
        // walk must ask for it every time, so its moved dentry shows no other view anything
        FsReply.EntryCaching caching = shared ? FsReply.EntryCaching.SHARED
                : path != null && answers.replaced(path) ? FsReply.EntryCaching.NONE : FsReply.EntryCaching.BRIEF;
        return new FsReply.Entry(id, attrs, shared, caching);
    }

    /** May the kernel keep a directory's attributes and listing? When it is the base's, unchanged, agreed on by every runtime, and reachable by every user. */
    private boolean shareDirectory(Overlay.Node d, long id) {
        if (viewId == null || !d.isDirectory() || d == overlay.root() || overlay.lowerNodeOf(d) < 0) {
            return false;
        }
        int lower = overlay.lowerNodeOf(d);
        View base = overlay.lower();
        if (!base.searchableByAll(base.manifest().parent(lower))) {
            return false;
        }
        return answers.share(answers.baseOf(viewId), overlay.path(d), 0, null, true, id);
    }

    private boolean searchableByAll(Overlay.Node dir) {
        int lower = overlay.lowerNodeOf(dir);
        return dir == overlay.root() ? overlay.lower().searchableByAll(Manifest.ROOT) : lower >= 0 && overlay.lower().searchableByAll(lower);
    }

    /**
     * Before a change: marks what it makes differ from the base in the shared answers (the parent
     * directories whose listing changes, and the names replaced, removed or re-permissioned). Where
     * the kernel was allowed to keep an entry there for every view, the request is answered ESTALE
     * first: the kernel then walks the path again asking this view for every name, and answers for
     * marked paths are not kept. Kept directory attributes and listings are dropped at once.
     */
    private void diverging(FsRequest.Change c) throws FsException {
        if (viewId == null || c instanceof FsRequest.SetAttr) {
            return; // a setattr marks itself: its copy-up may answer ESTALE too, and the kernel retries once
        }
        if (divergence(c)) {
            throw walkAgain();
        }
    }

    private boolean divergence(FsRequest.Change c) throws FsException {
        // a new name needs no mark of its own: where the base has it, this view removed it first
        if (c instanceof FsRequest.Create cr) {
            return diverge(dirs(cr.parent()));
        } else if (c instanceof FsRequest.MakeNode mk) {
            return diverge(dirs(mk.parent()));
        } else if (c instanceof FsRequest.MakeDirectory md) {
            return diverge(dirs(md.parent()));
        } else if (c instanceof FsRequest.Symlink sl) {
            return diverge(dirs(sl.parent()));
        } else if (c instanceof FsRequest.Link l) {
            return diverge(dirs(l.newParent()), basePath(node(l.node()))); // its link count changes (all its names)
        } else if (c instanceof FsRequest.Unlink u) {
            return diverge(dirs(u.parent()), child(u.parent(), u.name()));
        } else if (c instanceof FsRequest.RemoveDirectory rm) {
            return diverge(dirs(rm.parent()), child(rm.parent(), rm.name()));
        } else if (c instanceof FsRequest.Rename rn) {
            String from = child(rn.parent(), rn.name());
            String to = child(rn.newParent(), rn.newName());
            boolean firstDirectory = firstReplacedDirectory(from) || firstReplacedDirectory(to);
            return diverge(dirs(rn.parent(), rn.newParent()), from, to) || firstDirectory;
        } else if (c instanceof FsRequest.SetXattr sx) {
            return diverge(new String[0], basePath(node(sx.node())));
        } else if (c instanceof FsRequest.RemoveXattr rx) {
            return diverge(new String[0], basePath(node(rx.node())));
        }
        return false;
    }

    /**
     * Where the base has this object: a directory's path, a lower file's names in its layers; none for
     * an object only this view has (no other view can have kept an answer for it).
     */
    private String[] basePath(Overlay.Node n) {
        if (n.isDirectory()) {
            return new String[] {overlay.path(n)};
        }
        int lower = overlay.lowerNodeOf(n);
        return lower < 0 ? new String[0] : namesOf(lower);
    }

    /** Every name a lower file has in the base: a change to one is a change to all its hard links. */
    private String[] namesOf(int lower) {
        View base = overlay.lower();
        int[] members = base.linkGroupMembers(lower);
        String[] out = new String[members.length];
        for (int i = 0; i < members.length; i++) {
            out[i] = base.manifest().path(members[i]);
        }
        return out;
    }

    /**
     * A directory no view has moved or replaced yet: any view's entry for it may be kept a moment
     * (its node is one per path) and the kernel moves that entry with the rename. Once marked, no
     * view's entry for it is kept, and the caller's ESTALE has the kernel ask this view for it again,
     * so the entry moved is one no other view may use without asking.
     */
    private boolean firstReplacedDirectory(String path) {
        Overlay.Node n = overlay.nodeAt(path);
        return n != null && n.isDirectory() && !answers.replaced(path);
    }

    private String[] dirs(long... ids) throws FsException {
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = overlay.path(directory(ids[i]));
        }
        return out;
    }

    private String child(long parent, byte[] name) throws FsException {
        String dir = overlay.path(directory(parent));
        String n = dev.strata.persistence.Names.string(name);
        return dir.isEmpty() ? n : dir + "/" + n;
    }

    /** Marks; true when the kernel may keep an entry there (the caller answers ESTALE, once, before changing anything visible). */
    private boolean diverge(String[] listingsChanged, String... replaced) {
        if (viewId == null) {
            return false;
        }
        boolean walkAgain = false;
        for (String dir : listingsChanged) {
            SharedAnswers.Divergence d = answers.diverge(viewId, dir, false);
            answers.drop(d);
        }
        for (String path : replaced) {
            if (path == null) {
                continue;
            }
            SharedAnswers.Divergence d = answers.diverge(viewId, path, true);
            answers.drop(d);
            walkAgain |= d.entryKept();
        }
        return walkAgain;
    }

    private static FsException walkAgain() {
        return new FsException(Errno.ESTALE, "the kernel kept this name for every view: walk it again");
    }

    /** Attributes may stay in the kernel unless the content is a scratch file (written behind the kernel's back by mmap). */
    private static boolean cacheable(Overlay.Node n) {
        return !n.isDirectory() && !n.hasDataFile();
    }

    private boolean stale(long id, Overlay.Node n) {
        long[] known = idOf.get(n);
        return !n.isDirectory() && known != null && (known[0] != id || known[1] != n.generation());
    }

    /** The node id for an object, counting one kernel reference. */
    private long acquire(Overlay.Node n) {
        if (n == overlay.root()) {
            return NodeTable.ROOT;
        }
        long[] known = idOf.get(n);
        if (known != null && known[1] == n.generation() && nodes.retain(known[0])) {
            return known[0];
        }
        NodeTable.Key key = null;
        if (n.isDirectory()) {
            key = new NodeTable.Key(overlay.path(n), null);
            Long shared = nodes.idOf(key);
            Overlay.Node holder = shared == null ? null : nodeOf.get(shared);
            if (holder != null && holder != n) {
                key = null; // this path's shared id means another of our directories (one moved away): use a private one
            }
        }
        if (key == null) {
            key = new NodeTable.Key("", new Private(identity, epoch, n.id(), n.generation()));
        }
        long id = nodes.acquire(key);
        nodeOf.put(id, n);
        idOf.put(n, new long[] {id, n.generation()});
        return id;
    }

    private Overlay.Node directory(long id) throws FsException {
        Overlay.Node n = node(id);
        if (!n.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, overlay.describe(n) + " is not a directory");
        }
        return n;
    }

    /** The blob an open of kernel node {@code id} needs fetched from a remote first; null when none. */
    dev.strata.persistence.Digest contentToFetch(long id) {
        try {
            return overlay.contentToFetch(node(id));
        } catch (FsException e) {
            return null; // the open itself will say what is wrong
        }
    }

    /** This view's object for a kernel node id; ESTALE when the id is another view's. */
    private Overlay.Node node(long id) throws FsException {
        if (id == NodeTable.ROOT) {
            return overlay.root();
        }
        Overlay.Node n = nodeOf.get(id);
        if (n != null) {
            return n;
        }
        NodeTable.Key key = nodes.key(id);
        if (key == null) {
            throw new FsException(Errno.ESTALE, "node " + id + " is unknown");
        }
        if (key.content() instanceof Private p) {
            if (p.runtime().equals(identity) && p.epoch() == epoch) {
                Overlay.Node m = overlay.node(p.object());
                if (m != null && m.generation() == p.generation()) {
                    bind(id, m);
                    return m;
                }
            }
        } else if (key.isDirectory()) {
            Overlay.Node d = overlay.nodeAt(key.path()); // the kernel reached it already: no permission checks
            if (d != null && d.isDirectory() && (idOf.get(d) == null || idOf.get(d)[0] == id)) {
                bind(id, d);
                return d;
            }
        }
        if (viewId != null && !key.path().isEmpty()) {
            // reached through an entry kept for every view: walking again must reach this view's own object
            int lower = overlay.lower().manifest().find(key.path());
            for (String path : lower == Manifest.NOT_FOUND || key.isDirectory() ? new String[] {key.path()} : namesOf(lower)) {
                answers.drop(answers.diverge(viewId, path, true));
            }
        }
        throw new FsException(Errno.ESTALE, "node " + id + " (/" + key.path() + ") is not in this view");
    }

    /**
     * This view's object at the path of another view's node that the kernel reached through an entry
     * kept for every view (the base's file, unchanged here until now); null when {@code id} is this
     * view's own or names nothing here. Its path is marked, so the walk the caller's ESTALE causes is
     * answered with this view's own id.
     */
    private Overlay.Node reachedThroughSharedEntry(long id) {
        if (viewId == null || id == NodeTable.ROOT || nodeOf.containsKey(id)) {
            return null;
        }
        NodeTable.Key key = nodes.key(id);
        if (key == null || key.isDirectory() || key.content() instanceof Private || key.path().isEmpty()) {
            return null;
        }
        Overlay.Node n = overlay.nodeAt(key.path());
        if (n == null || n.isDirectory() || overlay.lowerNodeOf(n) < 0) {
            return null;
        }
        for (String path : namesOf(overlay.lowerNodeOf(n))) {
            answers.drop(answers.diverge(viewId, path, true));
        }
        return n;
    }

    /** The id this view gave {@code n} (its handles hold that one), else {@code otherwise}. */
    private long ownId(Overlay.Node n, long otherwise) {
        long[] known = idOf.get(n);
        return known != null ? known[0] : otherwise;
    }

    private void bind(long id, Overlay.Node n) {
        nodeOf.put(id, n);
        idOf.putIfAbsent(n, new long[] {id, n.generation()});
    }
}
