package dev.strata.persistence;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * An immutable tree of entries, stored column by column so that a million entries cost about a
 * hundred bytes each rather than an object graph.
 *
 * <p>Entries are numbered breadth-first from the root (0); the children of a directory are
 * contiguous and sorted by the unsigned bytes of their names. That order is canonical: one tree has
 * exactly one numbering, which is what makes the encoding (and so the digest) canonical, and lets a
 * lookup be a binary search over a directory's children.
 */
public final class Manifest {
    public static final int ROOT = 0;
    public static final int NOT_FOUND = -1;
    public static final int NAME_MAX = 255;

    private static final int MODE_MASK = 07777;
    private static final int OPAQUE_BIT = 1 << 12;
    private static final int KIND_SHIFT = 16;

    private final int count;
    private final byte[] names;
    private final int[] nameOffset;
    private final int[] parent;
    private final int[] firstChild;
    private final int[] childCount;
    private final int[] kindMode;
    private final int[] uid;
    private final int[] gid;
    private final long[] mtime;
    private final long[] size;
    /** files: blob index; symlinks: target index; devices: rdev index; others unused. */
    private final int[] data;
    private final int[] linkGroup;
    private final long[] blobWords;
    private final byte[][] targets;
    private final long[] rdevs;
    private final Map<Integer, SortedMap<String, byte[]>> xattrs;

    private Manifest(Builder b) {
        count = b.count;
        names = Arrays.copyOf(b.names, b.namesLength);
        nameOffset = Arrays.copyOf(b.nameOffset, count + 1);
        nameOffset[count] = b.namesLength;
        parent = Arrays.copyOf(b.parent, count);
        firstChild = Arrays.copyOf(b.firstChild, count);
        childCount = Arrays.copyOf(b.childCount, count);
        kindMode = Arrays.copyOf(b.kindMode, count);
        uid = Arrays.copyOf(b.uid, count);
        gid = Arrays.copyOf(b.gid, count);
        mtime = Arrays.copyOf(b.mtime, count);
        size = Arrays.copyOf(b.size, count);
        data = Arrays.copyOf(b.data, count);
        linkGroup = Arrays.copyOf(b.linkGroup, count);
        blobWords = Arrays.copyOf(b.blobWords, b.blobCount * 4);
        targets = Arrays.copyOf(b.targets, b.targetCount);
        rdevs = Arrays.copyOf(b.rdevs, b.rdevCount);
        xattrs = Map.copyOf(b.xattrs);
    }

    public int count() {
        return count;
    }

    public int parent(int node) {
        return parent[node];
    }

    public int firstChild(int node) {
        return firstChild[node];
    }

    public int childCount(int node) {
        return childCount[node];
    }

    public EntryKind kind(int node) {
        return EntryKind.fromCode(kindMode[node] >>> KIND_SHIFT);
    }

    public boolean isDirectory(int node) {
        return kindMode[node] >>> KIND_SHIFT == EntryKind.DIRECTORY.code();
    }

    public int mode(int node) {
        return kindMode[node] & MODE_MASK;
    }

    public boolean isOpaque(int node) {
        return (kindMode[node] & OPAQUE_BIT) != 0;
    }

    public int uid(int node) {
        return uid[node];
    }

    public int gid(int node) {
        return gid[node];
    }

    public long mtimeNanos(int node) {
        return mtime[node];
    }

    public long size(int node) {
        return size[node];
    }

    public int linkGroup(int node) {
        return linkGroup[node];
    }

    /** The content digest of a file, or null for any other kind. */
    public Digest blob(int node) {
        return kind(node) == EntryKind.FILE ? Digest.fromWords(blobWords, data[node] * 4) : null;
    }

    /** The target of a symlink (a copy), or null for any other kind. */
    public byte[] symlinkTarget(int node) {
        return kind(node) == EntryKind.SYMLINK ? targets[data[node]].clone() : null;
    }

    public long rdev(int node) {
        return kind(node).isDevice() ? rdevs[data[node]] : 0;
    }

    public SortedMap<String, byte[]> xattrs(int node) {
        return xattrs.getOrDefault(node, Entry.NO_XATTRS);
    }

    public byte[] name(int node) {
        return Arrays.copyOfRange(names, nameOffset[node], nameOffset[node + 1]);
    }

    public String nameString(int node) {
        return Names.string(names, nameOffset[node], nameOffset[node + 1] - nameOffset[node]);
    }

    /** Compares the node's name with {@code name} as unsigned bytes. */
    public int compareName(int node, byte[] name) {
        return Arrays.compareUnsigned(names, nameOffset[node], nameOffset[node + 1], name, 0, name.length);
    }

    /** Compares names across two manifests as unsigned bytes, without copying them. */
    public static int compareNames(Manifest a, int nodeA, Manifest b, int nodeB) {
        return Arrays.compareUnsigned(a.names, a.nameOffset[nodeA], a.nameOffset[nodeA + 1],
                b.names, b.nameOffset[nodeB], b.nameOffset[nodeB + 1]);
    }

    /** A hash of a node's name, equal to {@link #hashName(byte[])} of the same bytes. */
    public int nameHash(int node) {
        return hashName(names, nameOffset[node], nameOffset[node + 1]);
    }

    public static int hashName(byte[] name) {
        return hashName(name, 0, name.length);
    }

    private static int hashName(byte[] bytes, int from, int to) {
        int h = 0x811c9dc5; // FNV-1a
        for (int i = from; i < to; i++) {
            h = (h ^ (bytes[i] & 0xff)) * 0x01000193;
        }
        return h;
    }

    /** The child of {@code dir} with this name, or {@link #NOT_FOUND}. */
    public int lookup(int dir, byte[] name) {
        int lo = firstChild[dir];
        int hi = lo + childCount[dir] - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareName(mid, name);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return NOT_FOUND;
    }

    /** The node at a slash-separated path relative to the root, or {@link #NOT_FOUND}; no symlinks are followed. */
    public int find(String path) {
        int node = ROOT;
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (!isDirectory(node)) {
                return NOT_FOUND;
            }
            node = lookup(node, Names.bytes(part));
            if (node == NOT_FOUND) {
                return NOT_FOUND;
            }
        }
        return node;
    }

    /** The path of a node from the root, without a leading slash ("" for the root). */
    public String path(int node) {
        if (node == ROOT) {
            return "";
        }
        String up = path(parent[node]);
        return up.isEmpty() ? nameString(node) : up + "/" + nameString(node);
    }

    /** All attributes of a node as a value (allocates: not for hot paths). */
    public Entry entry(int node) {
        EntryKind kind = kind(node);
        return new Entry(kind, mode(node), uid[node], gid[node], mtime[node], size[node], blob(node),
                symlinkTarget(node), rdev(node), linkGroup[node], xattrs(node), isOpaque(node));
    }

    /** Number of distinct blobs the manifest refers to. */
    public int blobCount() {
        return blobWords.length / 4;
    }

    public Digest blobAt(int index) {
        return Digest.fromWords(blobWords, index * 4);
    }

    public static Builder builder(Entry root) {
        return new Builder(root);
    }

    /**
     * Appends entries in canonical order: the root first, then breadth-first, children of each
     * directory in increasing name order. Anything else is refused, which is how a decoder can
     * trust that what it reads is canonical. Hard-link groups are renumbered by first appearance.
     */
    public static final class Builder {
        private int count;
        private byte[] names = new byte[1024];
        private int namesLength;
        private int[] nameOffset = new int[64];
        private int[] parent = new int[64];
        private int[] firstChild = new int[64];
        private int[] childCount = new int[64];
        private int[] kindMode = new int[64];
        private int[] uid = new int[64];
        private int[] gid = new int[64];
        private long[] mtime = new long[64];
        private long[] size = new long[64];
        private int[] data = new int[64];
        private int[] linkGroup = new int[64];
        private long[] blobWords = new long[64];
        private int blobCount;
        private final Map<Digest, Integer> blobIndex = new HashMap<>();
        private byte[][] targets = new byte[16][];
        private int targetCount;
        private long[] rdevs = new long[4];
        private int rdevCount;
        private final Map<Integer, SortedMap<String, byte[]>> xattrs = new HashMap<>();
        private final Map<Integer, Integer> groupNumbers = new HashMap<>();
        private int lastParent;

        private Builder(Entry root) {
            if (root.kind() != EntryKind.DIRECTORY) {
                throw new IllegalArgumentException("the root of a manifest is a directory");
            }
            append(-1, new byte[0], root);
        }

        public int count() {
            return count;
        }

        /** Appends a child of {@code dir} and returns its node number. */
        public int add(int dir, byte[] name, Entry entry) {
            if (dir < lastParent || dir >= count) {
                throw new IllegalStateException("entries must be added breadth-first: parent " + dir + " after " + lastParent);
            }
            if (kindMode[dir] >>> KIND_SHIFT != EntryKind.DIRECTORY.code()) {
                throw new IllegalArgumentException("parent " + dir + " is not a directory");
            }
            checkName(name);
            if (childCount[dir] > 0 && Arrays.compareUnsigned(names, nameOffset[count - 1], namesLength, name, 0, name.length) >= 0) {
                throw new IllegalArgumentException("names must be unique and in increasing order in a directory: "
                        + new String(name, StandardCharsets.UTF_8));
            }
            lastParent = dir;
            if (childCount[dir] == 0) {
                firstChild[dir] = count;
            }
            childCount[dir]++;
            return append(dir, name, entry);
        }

        public static void checkName(byte[] name) {
            if (name.length == 0 || name.length > NAME_MAX) {
                throw new IllegalArgumentException("a name has 1 to " + NAME_MAX + " bytes, not " + name.length);
            }
            if ((name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.')) {
                throw new IllegalArgumentException("'.' and '..' are not entry names");
            }
            for (byte b : name) {
                if (b == '/' || b == 0) {
                    throw new IllegalArgumentException("a name holds no '/' or NUL: " + new String(name, StandardCharsets.UTF_8));
                }
            }
        }

        private int append(int dir, byte[] name, Entry e) {
            grow();
            int n = count++;
            nameOffset[n] = namesLength;
            if (namesLength + name.length > names.length) {
                names = Arrays.copyOf(names, Math.max(names.length * 2, namesLength + name.length));
            }
            System.arraycopy(name, 0, names, namesLength, name.length);
            namesLength += name.length;
            parent[n] = dir;
            kindMode[n] = e.kind().code() << KIND_SHIFT | (e.opaque() ? OPAQUE_BIT : 0) | e.mode();
            uid[n] = e.uid();
            gid[n] = e.gid();
            mtime[n] = e.mtimeNanos();
            size[n] = e.size();
            data[n] = switch (e.kind()) {
                case FILE -> blobIndexOf(e.blob());
                case SYMLINK -> addTarget(e.target());
                case CHAR_DEVICE, BLOCK_DEVICE -> addRdev(e.rdev());
                default -> 0;
            };
            linkGroup[n] = e.linkGroup() == 0 ? 0 : groupNumbers.computeIfAbsent(e.linkGroup(), g -> groupNumbers.size() + 1);
            if (!e.xattrs().isEmpty()) {
                xattrs.put(n, e.xattrs());
            }
            return n;
        }

        private int blobIndexOf(Digest blob) {
            return blobIndex.computeIfAbsent(blob, d -> {
                if ((blobCount + 1) * 4 > blobWords.length) {
                    blobWords = Arrays.copyOf(blobWords, blobWords.length * 2);
                }
                d.writeWords(blobWords, blobCount * 4);
                return blobCount++;
            });
        }

        private int addTarget(byte[] target) {
            if (targetCount == targets.length) {
                targets = Arrays.copyOf(targets, targetCount * 2);
            }
            targets[targetCount] = target.clone();
            return targetCount++;
        }

        private int addRdev(long rdev) {
            if (rdevCount == rdevs.length) {
                rdevs = Arrays.copyOf(rdevs, rdevCount * 2);
            }
            rdevs[rdevCount] = rdev;
            return rdevCount++;
        }

        private void grow() {
            if (count + 1 < parent.length) {
                return;
            }
            int n = parent.length * 2;
            nameOffset = Arrays.copyOf(nameOffset, n);
            parent = Arrays.copyOf(parent, n);
            firstChild = Arrays.copyOf(firstChild, n);
            childCount = Arrays.copyOf(childCount, n);
            kindMode = Arrays.copyOf(kindMode, n);
            uid = Arrays.copyOf(uid, n);
            gid = Arrays.copyOf(gid, n);
            mtime = Arrays.copyOf(mtime, n);
            size = Arrays.copyOf(size, n);
            data = Arrays.copyOf(data, n);
            linkGroup = Arrays.copyOf(linkGroup, n);
        }

        public Manifest build() {
            return new Manifest(this);
        }
    }
}
