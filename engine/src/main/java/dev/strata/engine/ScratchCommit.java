package dev.strata.engine;

import dev.strata.persistence.ContentStore;
import dev.strata.persistence.Digest;
import dev.strata.persistence.Entry;
import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Layer;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.ManifestObject;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryLock;
import dev.strata.persistence.TreeBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a scratch's changes into a layer: new and changed file content goes into the blob store,
 * deletions become whiteouts, directories that hide a lower directory become opaque. The layer
 * stacked on the scratch's lower view gives exactly the view the scratch showed.
 */
public final class ScratchCommit {
    private ScratchCommit() {
    }

    /** {@code layer} is null when the scratch changed nothing. */
    public record Result(Digest layer, Digest manifest, int entries, long bytes) {
        public boolean empty() {
            return layer == null;
        }
    }

    /** What {@code strata diff} prints for a change: A added, M modified, D deleted. */
    public record Listed(char status, String path) {
    }

    /** The scratch's changes as a diff listing by path, without storing anything. */
    public static List<Listed> list(Overlay overlay) {
        List<Listed> out = new ArrayList<>();
        for (Overlay.Change c : overlay.changes()) {
            if (c.path().isEmpty() || c.passThrough(overlay)) {
                continue;
            }
            char status = c.type() == Overlay.Change.Type.WHITEOUT ? 'D' : overlay.inLower(c.path()) ? 'M' : 'A';
            out.add(new Listed(status, c.path()));
        }
        out.sort(java.util.Comparator.comparing(Listed::path));
        return out;
    }

    /**
     * Stores the changes as a layer with these annotations. {@code meter} learns the files and bytes
     * to store first, then each file stored. The caller keeps the overlay still meanwhile.
     */
    public static Result commit(Overlay overlay, Repository repo, Map<String, String> annotations, WorkMeter meter)
            throws FsException {
        List<Overlay.Change> changes = overlay.changes();
        if (changes.isEmpty()) {
            return new Result(null, null, 0, 0);
        }
        overlay.completeCopies();
        plan(overlay, changes, meter);
        Manifest lower = overlay.lower().manifest();
        // an object met under two names is a hard link in the layer as well
        Map<Overlay.Node, Integer> seen = new IdentityHashMap<>();
        for (Overlay.Change c : changes) {
            if (c.type() == Overlay.Change.Type.OBJECT) {
                seen.merge(c.node(), 1, Integer::sum);
            }
        }
        Map<Overlay.Node, Integer> groups = new IdentityHashMap<>();
        Map<Overlay.Node, ContentStore.Stored> stored = new HashMap<>();
        long bytes = 0;
        try (RepositoryLock.Held lock = repo.writing()) {
            TreeBuilder tree = null;
            int entries = 0;
            for (Overlay.Change c : changes) {
                Entry e;
                if (c.type() == Overlay.Change.Type.WHITEOUT) {
                    e = Entry.whiteout();
                } else if (c.type() == Overlay.Change.Type.DIRECTORY) {
                    Overlay.Node d = c.node();
                    e = Entry.directory(d.mode, d.uid, d.gid, overlay.mtime(d)).withXattrs(d.xattrs).withOpaque(c.opaque());
                } else {
                    Overlay.Node n = c.node();
                    ContentStore.Stored content = null;
                    if (n.kind == EntryKind.FILE && n.dataFile) {
                        content = stored.get(n);
                        if (content == null) {
                            content = repo.blobs().putFile(overlay.dataPath(n));
                            stored.put(n, content);
                            bytes += content.size();
                            meter.fileDone(content.size());
                        }
                    }
                    e = entry(overlay, lower, n, content);
                    if (seen.get(n) > 1) {
                        e = e.withLinkGroup(groups.computeIfAbsent(n, k -> groups.size() + 1));
                    } else if (n.lower >= 0 && lower.path(n.lower).equals(c.path()) && e.sameAs(lower.entry(n.lower).withLinkGroup(0))) {
                        continue; // opened for writing or touched, but the same in the end
                    }
                }
                if (tree == null) {
                    tree = new TreeBuilder(e);
                } else {
                    tree.put(c.path(), e);
                    entries++;
                }
            }
            Manifest manifest = tree.build();
            if (entries == 0 && manifest.entry(Manifest.ROOT).sameAs(lower.entry(Manifest.ROOT).withLinkGroup(0))) {
                return new Result(null, null, 0, 0);
            }
            Digest manifestDigest = repo.write(new ManifestObject(manifest));
            Digest layer = repo.write(new Layer(manifestDigest, new TreeMap<>(annotations)));
            return new Result(layer, manifestDigest, entries, bytes);
        }
    }

    /** The content to store: each changed file once, however many names it has. */
    private static void plan(Overlay overlay, List<Overlay.Change> changes, WorkMeter meter) {
        java.util.Set<Overlay.Node> files = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Overlay.Change c : changes) {
            Overlay.Node n = c.node();
            if (c.type() == Overlay.Change.Type.OBJECT && n.kind == EntryKind.FILE && n.dataFile && files.add(n)) {
                bytes += overlay.dataPath(n).toFile().length();
            }
        }
        meter.plan(files.size(), bytes);
    }

    private static Entry entry(Overlay overlay, Manifest lower, Overlay.Node n, ContentStore.Stored content) throws FsException {
        long mtime = overlay.mtime(n);
        return switch (n.kind) {
            case FILE -> Entry.file(n.mode, n.uid, n.gid, mtime, content != null ? content.size() : n.size,
                    content != null ? content.digest() : lower.blob(n.lower)).withXattrs(n.xattrs);
            case SYMLINK -> Entry.symlink(n.target, n.uid, n.gid, mtime).withXattrs(n.xattrs);
            default -> new Entry(n.kind, n.mode, n.uid, n.gid, mtime, 0, null, null, n.rdev, 0, n.xattrs, false);
        };
    }
}
