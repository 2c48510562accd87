package dev.strata.engine;

import dev.strata.persistence.Entry;
import dev.strata.persistence.Manifest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's node ids, shared by every view on one mount. The kernel caches attributes and file
 * pages by node id, so a node id must name one content: two views share a node id only where the
 * object is identical (same path, same kind, metadata, blob or target). Directories are the
 * exception: one node id per directory path across views, with attributes never cached and
 * listings asked per view, because a directory dentry that flipped between views would break the
 * working directory of processes inside it.
 *
 * <p>Lookup counts follow the kernel's: every reply that hands out a node id counts one, FORGET
 * gives them back, and a node whose count drops to zero is forgotten (the root never is).
 */
public final class NodeTable {
    public static final long ROOT = 1;

    /**
     * What a node id stands for: a path, plus the exact content for everything but directories
     * ({@code content} null). An editable view's objects use a content private to that view.
     */
    public record Key(String path, Object content) {
        public boolean isDirectory() {
            return content == null;
        }
    }

    private final Map<Key, Long> ids = new ConcurrentHashMap<>();
    private final Map<Long, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(ROOT + 1);
    private final SharedAnswers answers = new SharedAnswers();

    private static final class Slot {
        final Key key;
        long lookups;

        Slot(Key key) {
            this.key = key;
        }
    }

    public NodeTable() {
        Key root = new Key("", null);
        ids.put(root, ROOT);
        slots.put(ROOT, new Slot(root));
    }

    /** The key of a view's node: its path, and for non-directories its exact content. */
    public static Key keyOf(Manifest view, int node) {
        return new Key(view.path(node), view.isDirectory(node) ? null : view.entry(node).withLinkGroup(0));
    }

    /** The node id for {@code key}, counting one more kernel reference to it. */
    public long acquire(Key key) {
        while (true) {
            long id = ids.computeIfAbsent(key, k -> {
                long fresh = next.getAndIncrement();
                slots.put(fresh, new Slot(k));
                return fresh;
            });
            Slot slot = slots.get(id);
            if (slot != null) {
                synchronized (slot) {
                    if (slots.get(id) == slot) {
                        slot.lookups++;
                        return id;
                    }
                }
            }
            // forgotten between the two maps: try again with a fresh id
        }
    }

    /**
     * Counts one more kernel reference to a node id the kernel still holds; false when it was
     * forgotten meanwhile (then the caller acquires its key again, getting a fresh id).
     */
    public boolean retain(long id) {
        Slot slot = slots.get(id);
        if (slot == null) {
            return false;
        }
        synchronized (slot) {
            if (slots.get(id) != slot) {
                return false;
            }
            slot.lookups++;
            return true;
        }
    }

    /** The id a key has now, without counting a reference; null when it has none. */
    public Long idOf(Key key) {
        return ids.get(key);
    }

    /** What a node id stands for, or null when the kernel has forgotten it (or never had it). */
    public Key key(long id) {
        Slot slot = slots.get(id);
        return slot == null ? null : slot.key;
    }

    /** The kernel dropped {@code count} references (FORGET). */
    public void forget(long id, long count) {
        if (id == ROOT) {
            return;
        }
        Slot slot = slots.get(id);
        if (slot == null) {
            return;
        }
        synchronized (slot) {
            slot.lookups -= count;
            if (slot.lookups <= 0) {
                slots.remove(id);
                ids.remove(slot.key, id);
            }
        }
    }

    /** What the kernel may keep of the answers about these node ids, on the mount every view shares. */
    public SharedAnswers answers() {
        return answers;
    }

    /** Node ids the kernel holds references to, the root included. */
    public int size() {
        return slots.size();
    }
}
