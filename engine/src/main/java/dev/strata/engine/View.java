package dev.strata.engine;

import dev.strata.persistence.ContentStore;
import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Names;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;

/**
 * The read-only file system a process sees: a merged stack of layers, answering lookups,
 * attributes, listings, link targets, reads and extended attributes with POSIX errno semantics.
 * Nodes are the merged manifest's node numbers; inode numbers are node + 1 (the root is 1), and
 * every member of a hard-link group reports the inode of its first member.
 */
public final class View {
    public static final int NAME_MAX = 255;
    public static final int PATH_MAX = 4096;
    /** Linux's MAXSYMLINKS: more symlinks than this on one path walk is ELOOP. */
    public static final int MAX_SYMLINKS = 40;

    private final Manifest manifest;
    private final ContentStore blobs;
    /** For hard-link groups: the first node and the member count, indexed by group number. */
    private final int[] groupFirst;
    private final int[] groupSize;
    private final NameIndex names;
    /** Subdirectories per directory (for nlink), counted once. */
    private final int[] subdirectories;

    public View(Manifest merged, ContentStore blobs) {
        this.manifest = merged;
        this.blobs = blobs;
        this.names = new NameIndex(merged);
        this.subdirectories = new int[merged.count()];
        for (int n = 1; n < merged.count(); n++) {
            if (merged.isDirectory(n)) {
                subdirectories[merged.parent(n)]++;
            }
        }
        int groups = 0;
        for (int n = 0; n < merged.count(); n++) {
            groups = Math.max(groups, merged.linkGroup(n));
        }
        groupFirst = new int[groups + 1];
        groupSize = new int[groups + 1];
        Arrays.fill(groupFirst, -1);
        for (int n = 0; n < merged.count(); n++) {
            int g = merged.linkGroup(n);
            if (g != 0) {
                if (groupFirst[g] < 0) {
                    groupFirst[g] = n;
                }
                groupSize[g]++;
            }
        }
    }

    /** Merges the layers (bottom-up) and serves the result. */
    public static View of(List<Manifest> bottomUp, ContentStore blobs) {
        return new View(LayerMerge.merge(bottomUp), blobs);
    }

    public Manifest manifest() {
        return manifest;
    }

    public int root() {
        return Manifest.ROOT;
    }

    public boolean isDirectory(int node) {
        return manifest.isDirectory(node);
    }

    public EntryKind kind(int node) {
        return manifest.kind(node);
    }

    /** One path component in {@code dir}; "." and ".." included. */
    public int lookup(int dir, byte[] name) throws FsException {
        if (!manifest.isDirectory(dir)) {
            throw new FsException(Errno.ENOTDIR, describe(dir) + " is not a directory");
        }
        if (name.length > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "a name has at most " + NAME_MAX + " bytes, not " + name.length);
        }
        if (name.length == 0) {
            throw new FsException(Errno.ENOENT, "empty name");
        }
        if (name.length == 1 && name[0] == '.') {
            return dir;
        }
        if (name.length == 2 && name[0] == '.' && name[1] == '.') {
            return dir == Manifest.ROOT ? dir : manifest.parent(dir);
        }
        int child = names.lookup(dir, name);
        if (child == Manifest.NOT_FOUND) {
            throw new FsException(Errno.ENOENT, "no '" + new String(name, StandardCharsets.UTF_8) + "' in " + describe(dir));
        }
        return child;
    }

    /**
     * Resolves a path as path_resolution(7) does, from the view's root: symlinks in the middle are
     * followed (absolute targets from the view's root), the last one only when {@code followLast}.
     */
    public int resolve(String path, boolean followLast) throws FsException {
        return resolve(path, followLast, null);
    }

    /**
     * The same, for {@code who} (null: anyone) as the kernel would walk it: every directory passed,
     * symlink targets' too, must grant {@code who} search (EACCES otherwise).
     */
    public int resolve(String path, boolean followLast, Permissions.Credentials who) throws FsException {
        byte[] bytes = Names.bytes(path);
        if (bytes.length >= PATH_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "a path has fewer than " + PATH_MAX + " bytes");
        }
        int[] budget = {MAX_SYMLINKS};
        return walk(Manifest.ROOT, path, followLast, budget, who);
    }

    private int walk(int start, String path, boolean followLast, int[] budget, Permissions.Credentials who) throws FsException {
        int node = path.startsWith("/") ? Manifest.ROOT : start;
        String[] parts = path.split("/");
        int last = parts.length - 1;
        while (last >= 0 && parts[last].isEmpty()) {
            last--;
        }
        boolean trailingSlash = path.endsWith("/") && last >= 0;
        for (int i = 0; i <= last; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            int dir = node;
            if (who != null && manifest.isDirectory(dir) && !Permissions.allows(attributes(dir), who, Permissions.EXECUTE)) {
                throw new FsException(Errno.EACCES, "permission denied: " + describe(dir) + " may not be searched");
            }
            node = lookup(dir, Names.bytes(parts[i]));
            boolean isLast = i == last;
            if (manifest.kind(node) == EntryKind.SYMLINK && (!isLast || followLast || trailingSlash)) {
                if (--budget[0] < 0) {
                    throw new FsException(Errno.ELOOP, "too many levels of symbolic links at " + manifest.path(node));
                }
                String target = Names.string(manifest.symlinkTarget(node));
                node = walk(dir, target, true, budget, who);
            }
        }
        if (trailingSlash && !manifest.isDirectory(node)) {
            throw new FsException(Errno.ENOTDIR, describe(node) + " is not a directory");
        }
        return node;
    }

    /** The first name of {@code node}'s hard-link group, or {@code node} when it has no other: one object, one node. */
    public int linkRepresentative(int node) {
        int group = manifest.linkGroup(node);
        return group != 0 ? groupFirst[group] : node;
    }

    /** The hard-link groups' members, built on first ask. */
    private volatile int[][] groupMembers;

    /** Every name of {@code node}'s object: its hard-link group's nodes, or just {@code node}. */
    public int[] linkGroupMembers(int node) {
        int group = manifest.linkGroup(node);
        if (group == 0) {
            return new int[] {node};
        }
        int[][] members = groupMembers;
        if (members == null) {
            members = new int[groupSize.length][];
            int[] filled = new int[groupSize.length];
            for (int n = 0; n < manifest.count(); n++) {
                int g = manifest.linkGroup(n);
                if (g != 0) {
                    if (members[g] == null) {
                        members[g] = new int[groupSize[g]];
                    }
                    members[g][filled[g]++] = n;
                }
            }
            groupMembers = members;
        }
        return members[group];
    }

    /** Directories every user may search, and each above them (computed on first ask). */
    private final java.util.Map<Integer, Boolean> searchable = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Every user may search directory {@code dir} and each directory above it: without
     * default_permissions the kernel walks a kept entry without asking, so only entries below such
     * directories may be kept for everyone.
     */
    public boolean searchableByAll(int dir) {
        Boolean known = searchable.get(dir);
        if (known == null) {
            boolean above = dir == Manifest.ROOT || searchableByAll(manifest.parent(dir));
            known = above && isDirectory(dir) && (attributes(dir).mode() & 01) != 0;
            searchable.put(dir, known);
        }
        return known;
    }

    public Attributes attributes(int node) {
        EntryKind kind = manifest.kind(node);
        int group = manifest.linkGroup(node);
        long ino = (group != 0 ? groupFirst[group] : node) + 1L;
        int nlink = switch (kind) {
            case DIRECTORY -> 2 + subdirectories[node];
            case FILE -> group != 0 ? groupSize[group] : 1;
            default -> 1;
        };
        long size = kind == EntryKind.DIRECTORY ? 4096 : manifest.size(node);
        long mtime = manifest.mtimeNanos(node);
        return new Attributes(ino, kind.typeBits() | manifest.mode(node), nlink, manifest.uid(node), manifest.gid(node),
                size, (size + Attributes.BLOCK_SIZE - 1) / Attributes.BLOCK_SIZE, mtime, mtime, mtime, manifest.rdev(node));
    }

    /**
     * The listing of a directory from {@code offset} on: "." and ".." first, then children in name
     * order. Offsets are positions in that sequence, so a listing resumes where it stopped.
     */
    public List<DirEntry> readdir(int dir, long offset, int max) throws FsException {
        if (!manifest.isDirectory(dir)) {
            throw new FsException(Errno.ENOTDIR, describe(dir) + " is not a directory");
        }
        List<DirEntry> out = new ArrayList<>();
        int children = manifest.childCount(dir);
        int first = manifest.firstChild(dir);
        for (long pos = Math.max(0, offset); pos < children + 2L && out.size() < max; pos++) {
            if (pos == 0) {
                out.add(new DirEntry(new byte[] {'.'}, dir, attributes(dir).ino(), EntryKind.DIRECTORY.typeBits(), 1));
            } else if (pos == 1) {
                int parent = dir == Manifest.ROOT ? dir : manifest.parent(dir);
                out.add(new DirEntry(new byte[] {'.', '.'}, parent, attributes(parent).ino(), EntryKind.DIRECTORY.typeBits(), 2));
            } else {
                int child = first + (int) (pos - 2);
                out.add(new DirEntry(manifest.name(child), child, attributes(child).ino(), manifest.kind(child).typeBits(), pos + 1));
            }
        }
        return out;
    }

    public byte[] readlink(int node) throws FsException {
        if (manifest.kind(node) != EntryKind.SYMLINK) {
            throw new FsException(Errno.EINVAL, describe(node) + " is not a symbolic link");
        }
        return manifest.symlinkTarget(node);
    }

    /** The read-only file holding a file node's content (for passthrough and reads). */
    public java.nio.file.Path blobPath(int node) throws FsException {
        if (manifest.kind(node) != EntryKind.FILE) {
            throw new FsException(Errno.EINVAL, describe(node) + " has no content to read");
        }
        return localContent(node);
    }

    /**
     * The blob a file node's content needs fetched from a remote before it can be opened; null when
     * it is here, the node is no file, or nothing fetches (then opening says what is missing).
     */
    public dev.strata.persistence.Digest contentToFetch(int node) {
        if (!blobs.fetches() || manifest.kind(node) != EntryKind.FILE) {
            return null;
        }
        dev.strata.persistence.Digest d = manifest.blob(node);
        return blobs.contains(d) ? null : d;
    }

    /** Fetches a blob {@link #contentToFetch} named, waiting for it; the caller is not the Mount's thread. */
    public void fetch(dev.strata.persistence.Digest d) {
        blobs.local(d);
    }

    /** The blob of a file node, fetched first from a remote when read-through is on and it is not here yet. */
    private java.nio.file.Path localContent(int node) throws FsException {
        try {
            return blobs.local(manifest.blob(node));
        } catch (dev.strata.persistence.RepositoryException e) {
            throw new FsException(Errno.EIO, "the content of " + describe(node) + " is not here: " + e.getMessage());
        }
    }

    /** Opens a file's content for reading; the caller closes the channel. */
    public FileChannel open(int node) throws FsException {
        EntryKind kind = manifest.kind(node);
        if (kind == EntryKind.DIRECTORY) {
            throw new FsException(Errno.EISDIR, describe(node) + " is a directory");
        }
        if (kind != EntryKind.FILE) {
            throw new FsException(Errno.EINVAL, describe(node) + " has no content to read");
        }
        try {
            return FileChannel.open(localContent(node), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new FsException(Errno.EIO, "the content of " + describe(node) + " is missing from the repository");
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "reading " + describe(node) + " failed: " + e.getMessage());
        }
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count (0 at end of file). */
    public int read(int node, long offset, ByteBuffer dst) throws FsException {
        try (FileChannel ch = open(node)) {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, offset + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "reading " + describe(node) + " failed: " + e.getMessage());
        }
    }

    public SortedMap<String, byte[]> xattrs(int node) {
        return manifest.xattrs(node);
    }

    public byte[] getxattr(int node, String name) throws FsException {
        byte[] value = manifest.xattrs(node).get(name);
        if (value == null) {
            throw FsException.noAttribute(describe(node), name);
        }
        return value;
    }

    public StatFs statfs() {
        long files = manifest.count();
        try {
            FileStore store = Files.getFileStore(blobs.root().getParent().getParent());
            long bs = store.getBlockSize();
            return new StatFs(store.getTotalSpace() / bs, 0, 0, files, 0, (int) bs, NAME_MAX);
        } catch (IOException | UnsupportedOperationException e) {
            return new StatFs(0, 0, 0, files, 0, 4096, NAME_MAX);
        }
    }

    private String describe(int node) {
        String path = manifest.path(node);
        return "'/" + path + "'";
    }
}
