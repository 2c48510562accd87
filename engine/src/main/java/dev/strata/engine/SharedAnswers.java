package dev.strata.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Predicate;

/**
 * Which answers the kernel may keep on a mount that every view shares. The kernel keeps one dentry
 * per name and one set of attributes per node id, whoever asked, so an answer may outlive its
 * request only where every runtime's view gives the same one:
 * <ul>
 * <li>the runtimes stand on one base (the same layer stack);
 * <li>no view has changed the path, nor replaced or re-permissioned a directory above it (its
 *     marks); and
 * <li>every user may search every directory above it, as the kernel walks kept entries without
 *     asking (the mount has no default_permissions).
 * </ul>
 * A process outside every runtime (the empty default view) is not counted: through a kept entry it
 * sees only what any user sees in a runtime of that base, and whatever reaches the daemon is refused.
 *
 * <p>Answers kept are remembered by path. A view about to make a remembered path differ marks it
 * first ({@link #diverge}) and its caller then makes the kernel drop them: a directory's attributes
 * and listing at once (that takes no lock the request may hold), an entry by answering the request
 * ESTALE, so the kernel walks the path again asking the view for every name (answers for marked
 * paths are not kept). A runtime on another base makes every remembered answer go before its
 * processes can use the mount ({@link #join}).
 */
public final class SharedAnswers {
    /** Beyond this many remembered answers, no more are kept (the memory stays bounded). */
    static final int MAX_REMEMBERED = 1_000_000;

    /** What the kernel is asked to drop; implemented by the bridge, which writes its notifications. */
    public interface KernelCaches {
        /** Drops the dentry {@code name} in directory {@code parent}. May wait for the directory's lock. */
        void dropEntry(long parent, byte[] name);

        /** Drops a node's attributes and, for a directory, its kept listing. Takes no inode lock. */
        void dropAttributes(long node);
    }

    /** A runtime's base, compared by identity once joined. */
    public static final class Base {
        private final List<String> layers;

        private Base(List<String> layers) {
            this.layers = List.copyOf(layers);
        }

        @Override
        public String toString() {
            return layers.toString();
        }
    }

    /** What the kernel was allowed to keep for a path: its entry (parent and name), its attributes or listing (node). */
    private record Kept(long parent, byte[] name, boolean directory, long node) {
    }

    /** What {@link #diverge} found kept: an entry (the caller answers ESTALE), and attributes to drop. */
    public record Divergence(boolean entryKept, List<Long> dropAttributes) {
        static final Divergence NONE = new Divergence(false, List.of());
    }

    private volatile KernelCaches kernel;
    private final StampedLock gate = new StampedLock();
    private final Map<String, Base> bases = new HashMap<>();
    private final Map<String, Base> baseOfView = new ConcurrentHashMap<>();
    /** Editable views that run: while there are any, no file entry is kept. */
    private final Set<String> editors = ConcurrentHashMap.newKeySet();
    /** The one base every runtime stands on; null when there are none or several. */
    private volatile Base consensus;
    /** The base the kept answers were given under. */
    private volatile Base keptUnder;
    private final ConcurrentSkipListMap<String, Kept> kept = new ConcurrentSkipListMap<>();
    private final Map<String, Integer> ownMarks = new ConcurrentHashMap<>();
    private final Map<String, Integer> subtreeMarks = new ConcurrentHashMap<>();
    private final Map<String, Marks> marksOfView = new ConcurrentHashMap<>();
    /** Notifications written to the kernel, and requests answered ESTALE so that a walk asks again (for metrics). */
    private final LongAdder notifications = new LongAdder();
    private final LongAdder walksAskedAgain = new LongAdder();

    /** One view's marks: directories whose own entry changed, and paths replaced with all below. */
    private record Marks(Set<String> own, Set<String> subtree) {
        Set<String> of(boolean replaced) {
            return replaced ? subtree : own;
        }
    }

    /** Answers are kept only once the kernel can be told to drop them. */
    public void attach(KernelCaches kernel) {
        this.kernel = Objects.requireNonNull(kernel);
    }

    /**
     * A runtime's view joins, on {@code layers}. When the kept answers were given under another base
     * they are dropped before this returns (entries of directories that are directories in the new
     * base too stay: their node is one per path; their attributes and listings go). An {@code
     * editable} view gives its files ids of its own (a handle's file must be able to move to its
     * scratch), so while one runs no file entry is kept, and those kept are dropped when it joins: a
     * file reached through one would show the shared node's inode number until the runtime opened it.
     */
    public void join(String view, List<String> layers, Predicate<String> directoryInBase, boolean editable) {
        List<Kept> drop = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        long stamp = gate.writeLock();
        try {
            Base base = bases.computeIfAbsent(String.join("+", layers), k -> new Base(layers));
            Base before = baseOfView.put(view, base);
            if (before != null && before != base) {
                forgetMarks(view); // a restart on a new stack: its old marks describe the old one
            }
            boolean firstEditor = editable && editors.add(view) && editors.size() == 1;
            consensus = single();
            if (keptUnder != null && keptUnder != base) {
                paths.addAll(kept.keySet());
                drop.addAll(kept.values());
                kept.clear();
                keptUnder = null;
            } else if (firstEditor) {
                synchronized (kept) {
                    for (var e : kept.entrySet()) {
                        if (!e.getValue().directory()) {
                            paths.add(e.getKey());
                            drop.add(e.getValue());
                        }
                    }
                    paths.forEach(kept::remove);
                }
            }
        } finally {
            gate.unlockWrite(stamp);
        }
        KernelCaches k = kernel;
        for (int i = 0; i < drop.size(); i++) {
            Kept e = drop.get(i);
            if (e.node() != 0) {
                k.dropAttributes(e.node());
                notifications.increment();
            }
            if (e.name() != null && !(e.directory() && directoryInBase.test(paths.get(i)))) {
                k.dropEntry(e.parent(), e.name());
                notifications.increment();
            }
        }
    }

    /** The view's base, as joined; null before. Takes no lock: it is asked while answering. */
    public Base baseOf(String view) {
        return baseOfView.get(view);
    }

    /** The view ended: its marks go, and the runtimes left may agree again. */
    public void leave(String view) {
        long stamp = gate.writeLock();
        try {
            baseOfView.remove(view);
            editors.remove(view);
            forgetMarks(view);
            consensus = single();
        } finally {
            gate.unlockWrite(stamp);
        }
    }

    private Base single() {
        Base only = null;
        for (Base b : baseOfView.values()) {
            if (only != null && only != b) {
                return null;
            }
            only = b;
        }
        return only;
    }

    /**
     * Held around answering a request and writing its answer, so that a join that changes the base
     * drops every answer kept under the old one after the kernel has it.
     */
    public long enter() {
        return gate.readLock();
    }

    public void exit(long stamp) {
        gate.unlockRead(stamp);
    }

    /**
     * May the kernel keep the answer a view on {@code base} gives for {@code path}? When true, the
     * answer is remembered: an entry ({@code name} in {@code parent}; name null for none) and/or a
     * directory's attributes or listing ({@code node}, 0 for none). Call it inside {@link #enter}.
     */
    public boolean share(Base base, String path, long parent, byte[] name, boolean directory, long node) {
        if (kernel == null || base == null || base != consensus || path.isEmpty() || kept.size() >= MAX_REMEMBERED
                || (!directory && !editors.isEmpty())) {
            return false;
        }
        synchronized (kept) { // against diverge: either it sees this remembered, or this sees its mark
            if (marked(path)) {
                return false;
            }
            keptUnder = base;
            kept.merge(path, new Kept(parent, name, directory, node), (old, now) -> new Kept(
                    now.name() != null ? now.parent() : old.parent(), now.name() != null ? now.name() : old.name(),
                    directory, now.node() != 0 ? now.node() : old.node()));
            return true;
        }
    }

    /** Was the kernel allowed to keep an answer for {@code path} (and has it not been dropped since)? */
    public boolean remembers(String path) {
        return kept.containsKey(path);
    }

    /** Has some view replaced, removed, renamed or re-permissioned {@code path} itself? */
    public boolean replaced(String path) {
        return subtreeMarks.containsKey(path);
    }

    /** Has some view changed {@code path}, or replaced a directory above it? */
    public boolean marked(String path) {
        if (ownMarks.isEmpty() && subtreeMarks.isEmpty()) {
            return false;
        }
        if (ownMarks.containsKey(path) || subtreeMarks.containsKey(path)) {
            return true;
        }
        if (subtreeMarks.isEmpty()) {
            return false;
        }
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            if (subtreeMarks.containsKey(path.substring(0, slash))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A view is about to make {@code path} differ from its base: its own entry, attributes and
     * listing ({@code subtree} false: a directory gaining or losing a name), or everything at and
     * below it as well (an entry replaced, removed, renamed, re-permissioned or opened). Returns what
     * the kernel was allowed to keep there.
     */
    public Divergence diverge(String view, String path, boolean subtree) {
        if (path.isEmpty()) {
            subtree = false; // the root is never shared: its listing differs from the default view's
        }
        Marks mine = marksOfView.computeIfAbsent(view, v -> new Marks(ConcurrentHashMap.newKeySet(), ConcurrentHashMap.newKeySet()));
        if (mine.of(subtree).contains(path)) {
            return Divergence.NONE;
        }
        synchronized (kept) {
            if (!mine.of(subtree).add(path)) {
                return Divergence.NONE;
            }
            (subtree ? subtreeMarks : ownMarks).merge(path, 1, Integer::sum);
            if (kept.isEmpty()) {
                return Divergence.NONE;
            }
            boolean entry = false;
            List<Long> attributes = new ArrayList<>();
            Kept here = kept.remove(path);
            if (here != null) {
                entry = here.name() != null && subtree;
                if (here.node() != 0) {
                    attributes.add(here.node());
                }
                if (here.name() != null && !subtree) {
                    kept.put(path, new Kept(here.parent(), here.name(), here.directory(), 0)); // its entry still holds
                }
            }
            if (subtree) {
                Map<String, Kept> below = kept.subMap(path + "/", path + "0"); // '0' follows '/'
                if (!below.isEmpty()) {
                    entry = true; // the kernel walks the path again; what is below is reached only through it
                    for (Kept k : below.values()) {
                        if (k.node() != 0) {
                            attributes.add(k.node());
                        }
                    }
                    below.clear();
                }
            }
            if (entry) {
                walksAskedAgain.increment();
            }
            return entry || !attributes.isEmpty() ? new Divergence(entry, attributes) : Divergence.NONE;
        }
    }

    /** Drops what {@link #diverge} found (attributes only; an entry is the caller's ESTALE). */
    public void drop(Divergence d) {
        KernelCaches k = kernel;
        if (k != null) {
            d.dropAttributes().forEach(k::dropAttributes);
            notifications.add(d.dropAttributes().size());
        }
    }

    private void forgetMarks(String view) {
        Marks mine = marksOfView.remove(view);
        if (mine == null) {
            return;
        }
        synchronized (kept) {
            forget(mine);
        }
    }

    private void forget(Marks mine) {
        for (String p : mine.own()) {
            ownMarks.computeIfPresent(p, (k, n) -> n > 1 ? n - 1 : null);
        }
        for (String p : mine.subtree()) {
            subtreeMarks.computeIfPresent(p, (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Paths whose answers the kernel may keep now (for tests and metrics). */
    public int remembered() {
        return kept.size();
    }

    /** Paths marked by some view (one both changed and replaced counts twice; for metrics). */
    public int markCount() {
        return ownMarks.size() + subtreeMarks.size();
    }

    /** Notifications written so that the kernel drops what it kept. */
    public long notifications() {
        return notifications.sum();
    }

    /** Requests answered ESTALE so that the kernel walks a path again, asking the view. */
    public long walksAskedAgain() {
        return walksAskedAgain.sum();
    }

    /** Paths some view has marked (for tests). */
    public Set<String> marks() {
        Set<String> all = new HashSet<>(ownMarks.keySet());
        all.addAll(subtreeMarks.keySet());
        return all;
    }
}
