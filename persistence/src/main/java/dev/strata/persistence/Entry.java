package dev.strata.persistence;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The attributes of one manifest entry, without its name or place in the tree.
 *
 * @param mode       permission bits only (07777); the type comes from {@code kind}
 * @param size       content size for files, target length for symlinks, 0 otherwise
 * @param blob       content digest, for files only
 * @param target     link target, for symlinks only
 * @param rdev       device number, for devices only
 * @param linkGroup  0, or the hard-link group this file shares with other entries of its manifest
 * @param opaque     for directories: hides everything below it in lower layers
 */
public record Entry(EntryKind kind, int mode, int uid, int gid, long mtimeNanos, long size, Digest blob,
                    byte[] target, long rdev, int linkGroup, SortedMap<String, byte[]> xattrs, boolean opaque) {

    public static final SortedMap<String, byte[]> NO_XATTRS = Collections.unmodifiableSortedMap(new TreeMap<>());

    public Entry {
        Objects.requireNonNull(kind, "kind");
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode holds permission bits only: " + Integer.toOctalString(mode));
        }
        if ((kind == EntryKind.FILE) != (blob != null)) {
            throw new IllegalArgumentException("a blob digest belongs to files and only files");
        }
        if ((kind == EntryKind.SYMLINK) != (target != null)) {
            throw new IllegalArgumentException("a link target belongs to symlinks and only symlinks");
        }
        if (opaque && kind != EntryKind.DIRECTORY) {
            throw new IllegalArgumentException("only a directory can be opaque");
        }
        if (linkGroup != 0 && kind != EntryKind.FILE) {
            throw new IllegalArgumentException("only files are hard-linked");
        }
        xattrs = xattrs == null || xattrs.isEmpty() ? NO_XATTRS : Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    public static Entry directory(int mode, int uid, int gid, long mtimeNanos) {
        return new Entry(EntryKind.DIRECTORY, mode, uid, gid, mtimeNanos, 0, null, null, 0, 0, NO_XATTRS, false);
    }

    public static Entry file(int mode, int uid, int gid, long mtimeNanos, long size, Digest blob) {
        return new Entry(EntryKind.FILE, mode, uid, gid, mtimeNanos, size, blob, null, 0, 0, NO_XATTRS, false);
    }

    public static Entry symlink(byte[] target, int uid, int gid, long mtimeNanos) {
        return new Entry(EntryKind.SYMLINK, 0777, uid, gid, mtimeNanos, target.length, null, target, 0, 0, NO_XATTRS, false);
    }

    public static Entry whiteout() {
        return new Entry(EntryKind.WHITEOUT, 0, 0, 0, 0, 0, null, null, 0, 0, NO_XATTRS, false);
    }

    public Entry withOpaque(boolean value) {
        return new Entry(kind, mode, uid, gid, mtimeNanos, size, blob, target, rdev, linkGroup, xattrs, value);
    }

    public Entry withLinkGroup(int group) {
        return new Entry(kind, mode, uid, gid, mtimeNanos, size, blob, target, rdev, group, xattrs, opaque);
    }

    public Entry withXattrs(SortedMap<String, byte[]> values) {
        return new Entry(kind, mode, uid, gid, mtimeNanos, size, blob, target, rdev, linkGroup, values, opaque);
    }

    /** True when content and metadata are the same; link groups are manifest-local and not compared. */
    public boolean sameAs(Entry o) {
        return kind == o.kind && mode == o.mode && uid == o.uid && gid == o.gid && mtimeNanos == o.mtimeNanos
                && size == o.size && Objects.equals(blob, o.blob) && Arrays.equals(target, o.target)
                && rdev == o.rdev && opaque == o.opaque && sameXattrs(xattrs, o.xattrs);
    }

    private static boolean sameXattrs(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && sameAs(e) && linkGroup == e.linkGroup;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, mode, uid, gid, mtimeNanos, size, blob, Arrays.hashCode(target), rdev, linkGroup, opaque);
    }
}
