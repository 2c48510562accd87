package dev.strata.engine;

import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.Names;
import dev.strata.persistence.NativeFs;
import dev.strata.persistence.ScratchJournal;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An editable view: a read-only lower {@link View} with a private scratch on top, as overlay file
 * systems do it, but addressed by object rather than by path. The namespace lives in memory and in
 * the scratch's {@link ScratchJournal}; a file's content, once written, lives in a data file named
 * by its inode number, so neither deep trees nor long names ever build a long path on disk, a
 * renamed lower directory is only a journal record (no EXDEV), and an unlinked file stays readable
 * through its open handles.
 *
 * <p>Lower objects become {@link Node}s lazily, when their directory is first used. A lower node
 * keeps its inode number ({@code lower + 1}) through copy-up; new objects are numbered after the
 * lower manifest. Every operation checks POSIX permissions for the caller, validates, journals,
 * and only then changes memory, so a failed journal write changes nothing.
 */
public final class Overlay implements AutoCloseable {
    private static final java.util.concurrent.atomic.LongAdder COPY_UPS = new java.util.concurrent.atomic.LongAdder();
    private static final java.util.concurrent.atomic.LongAdder COPY_UP_BYTES = new java.util.concurrent.atomic.LongAdder();
    private static final java.util.concurrent.atomic.LongAdder LAZY_COPY_UPS = new java.util.concurrent.atomic.LongAdder();

    // The journal's encoding of SetAttributes.Field: an AttributesSet record's "valid" bits.
    private static final int SET_MODE = 1;
    private static final int SET_UID = 1 << 1;
    private static final int SET_GID = 1 << 2;
    private static final int SET_SIZE = 1 << 3;
    private static final int SET_ATIME = 1 << 4;
    private static final int SET_MTIME = 1 << 5;
    private static final int SET_ATIME_NOW = 1 << 7;
    private static final int SET_MTIME_NOW = 1 << 8;
    private static final int SET_CTIME = 1 << 10;
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;
    private static final int S_ISUID = 04000;
    private static final int S_ISGID = 02000;
    private static final int S_ISVTX = 01000;

    /** An object of the view: a lower entry (perhaps changed) or a new one. */
    public static final class Node {
        final long id;
        final int lower;
        final EntryKind kind;
        int mode;
        int uid;
        int gid;
        long atime;
        long mtime;
        long ctime;
        long size;
        long rdev;
        byte[] target;
        SortedMap<String, byte[]> xattrs;
        /** The content lives in the scratch's data file. */
        boolean dataFile;
        /** Differs from the lower entry (or is new): a commit records it. */
        boolean touched;
        /** Names of a non-directory. */
        int links = 1;
        /** An O_TMPFILE file made without O_EXCL: linkat(2) may give it a name though it has none. */
        boolean linkable;
        int opens;
        /** Bumped when the content moves to a new file: the kernel must then get a new node for it. */
        int generation;
        /** Directories: where they are, for ".." and paths. */
        Node parent;
        byte[] name;
        Dir dir;

        Node(long id, int lower, EntryKind kind) {
            this.id = id;
            this.lower = lower;
            this.kind = kind;
        }

        public long id() {
            return id;
        }

        public EntryKind kind() {
            return kind;
        }

        public boolean isDirectory() {
            return kind == EntryKind.DIRECTORY;
        }

        public int generation() {
            return generation;
        }

        public boolean hasDataFile() {
            return dataFile;
        }

        public int opens() {
            return opens;
        }

        int typedMode() {
            return kind.typeBits() | mode;
        }
    }

    /** A directory's entries; cookies are stable, so a listing resumes right while entries come and go. */
    static final class Dir {
        final HashMap<Name, Slot> byName = new HashMap<>();
        final TreeMap<Long, Slot> byCookie = new TreeMap<>();
        long nextCookie = 3;
        int subdirectories;

        void put(byte[] name, Node node) {
            Slot slot = new Slot(name, node, nextCookie++);
            Slot old = byName.put(new Name(name), slot);
            if (old != null) {
                byCookie.remove(old.cookie());
                if (old.node().isDirectory()) {
                    subdirectories--;
                }
            }
            byCookie.put(slot.cookie(), slot);
            if (node.isDirectory()) {
                subdirectories++;
            }
        }

        Slot remove(byte[] name) {
            Slot slot = byName.remove(new Name(name));
            if (slot != null) {
                byCookie.remove(slot.cookie());
                if (slot.node().isDirectory()) {
                    subdirectories--;
                }
            }
            return slot;
        }

        Node get(byte[] name) {
            Slot slot = byName.get(new Name(name));
            return slot == null ? null : slot.node();
        }
    }

    record Slot(byte[] name, Node node, long cookie) {
    }

    private record Name(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Name n && Arrays.equals(bytes, n.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** An entry of a listing: "." and ".." included. */
    public record Listed(byte[] name, Node node, long offset) {
    }

    /** What an open is served from: {@code writable} when the file is the scratch's (register it read-write). */
    public record OpenFile(Path file, boolean writable) {
    }

    /**
     * A change of attributes (chmod, chown, truncate, utimensat): {@code fields} says which of the
     * values apply; {@code viaHandle} when it came through an open file (fchmod, ftruncate).
     */
    public record SetAttributes(java.util.Set<Field> fields, int mode, int uid, int gid, long size, long atimeNanos,
                                long mtimeNanos, boolean viaHandle) {
        /** ATIME_NOW and MTIME_NOW set that time to the present (UTIME_NOW), ignoring the value. */
        public enum Field { MODE, UID, GID, SIZE, ATIME, MTIME, ATIME_NOW, MTIME_NOW, CTIME }

        public SetAttributes {
            fields = fields.isEmpty() ? java.util.EnumSet.noneOf(Field.class) : java.util.EnumSet.copyOf(fields);
        }

        public boolean has(Field field) {
            return fields.contains(field);
        }

        private static final int[] JOURNAL_BITS = {SET_MODE, SET_UID, SET_GID, SET_SIZE, SET_ATIME, SET_MTIME, SET_ATIME_NOW,
                SET_MTIME_NOW, SET_CTIME};

        int journalBits() {
            int bits = 0;
            for (Field f : fields) {
                bits |= JOURNAL_BITS[f.ordinal()];
            }
            return bits;
        }
    }

    private final View lower;
    private final Manifest lowerManifest;
    private final Path dataDir;
    /** Maps of copy-ups still filling ({@link LazyCopy}), by object id. */
    private final Path fillDir;
    private final Map<Node, LazyCopy> copying = new HashMap<>();
    /**
     * Lower files from this size on are copied up lazily, in chunks of COPY_CHUNK bytes, where the
     * scratch cannot share their extents (system properties strata.copy-up.lazy-from and
     * strata.copy-up.chunk, for tests that need small files to go that way).
     */
    static final long LAZY_COPY_FROM = Long.getLong("strata.copy-up.lazy-from", 4L << 20);
    static final int COPY_CHUNK = Integer.getInteger("strata.copy-up.chunk", LazyCopy.DEFAULT_CHUNK);
    private final ScratchJournal journal;
    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<Integer, Node> linkGroups = new HashMap<>();
    private final Node root;
    private long nextId;
    /** The name of an object created without one, in the journal. */
    private static final byte[] NO_NAME = new byte[0];
    private boolean replaying;

    /**
     * Opens the scratch in {@code scratchDir} (created when missing) over {@code lower}, replaying its
     * journal; data files no record refers to (from a crash between creating and journaling) are removed.
     */
    public static Overlay open(View lower, Path scratchDir) throws IOException {
        Path data = scratchDir.resolve("data");
        Files.createDirectories(data);
        ScratchJournal.Opened opened = ScratchJournal.open(scratchDir.resolve("journal"));
        Overlay overlay = new Overlay(lower, data, opened.journal());
        overlay.replay(opened.records());
        // files that had no name left (unlinked while open, O_TMPFILE never linked) went with their handles
        overlay.byId.values().removeIf(n -> !n.isDirectory() && n.links <= 0);
        overlay.removeStrayData();
        overlay.resumeCopies();
        return overlay;
    }

    private Overlay(View lower, Path dataDir, ScratchJournal journal) {
        this.lower = lower;
        this.lowerManifest = lower.manifest();
        this.dataDir = dataDir;
        this.fillDir = dataDir.resolveSibling("fill");
        this.journal = journal;
        this.nextId = lowerManifest.count() + 1L;
        this.root = lowerNode(Manifest.ROOT);
    }

    public Node root() {
        return root;
    }

    public View lower() {
        return lower;
    }

    /** The lower blob an open of object {@code n} would read that must be fetched first (see {@link View#contentToFetch}). */
    public dev.strata.persistence.Digest contentToFetch(Node n) {
        return n == null || n.dataFile || n.lower < 0 || n.kind != EntryKind.FILE ? null : lower.contentToFetch(n.lower);
    }

    /** The object with this inode number, if it still exists. */
    public Node node(long id) {
        Node n = byId.get(id);
        if (n != null || id < 1 || id > lowerManifest.count()) {
            return n;
        }
        // a lower object nobody asked for yet: it exists if its directory does and was not materialized
        int lowerNode = (int) (id - 1);
        Node parent = node(lowerManifest.parent(lowerNode) + 1L);
        if (parent == null || parent.dir != null || !parent.isDirectory() || parent.lower != lowerManifest.parent(lowerNode)) {
            return null;
        }
        dir(parent);
        return byId.get(id);
    }

    private Node lowerNode(int n) {
        int group = lowerManifest.linkGroup(n);
        if (group != 0) {
            // the names of a lower hard-link group are one object here too, numbered after its first member
            Node shared = linkGroups.get(group);
            if (shared != null) {
                return shared;
            }
        }
        if (group != 0) {
            n = (int) (lower.attributes(n).ino() - 1); // the group's first member, whichever name came first
        }
        EntryKind kind = lowerManifest.kind(n);
        Node node = new Node(n + 1L, n, kind);
        if (group != 0) {
            linkGroups.put(group, node);
            node.links = lower.attributes(n).nlink();
        }
        node.mode = lowerManifest.mode(n);
        node.uid = lowerManifest.uid(n);
        node.gid = lowerManifest.gid(n);
        node.mtime = node.atime = node.ctime = lowerManifest.mtimeNanos(n);
        node.size = kind == EntryKind.FILE ? lowerManifest.size(n) : kind == EntryKind.SYMLINK ? lowerManifest.symlinkTarget(n).length : 0;
        node.rdev = lowerManifest.rdev(n);
        node.target = kind == EntryKind.SYMLINK ? lowerManifest.symlinkTarget(n) : null;
        node.xattrs = lowerManifest.xattrs(n);
        byId.put(node.id, node);
        return node;
    }

    /** The entries of a directory, read from the lower directory on first use. */
    private Dir dir(Node d) {
        if (d.dir == null) {
            Dir dir = new Dir();
            if (d.lower >= 0) {
                int first = lowerManifest.firstChild(d.lower);
                for (int i = 0; i < lowerManifest.childCount(d.lower); i++) {
                    Node child = lowerNode(first + i);
                    if (child.isDirectory()) {
                        child.parent = d;
                        child.name = lowerManifest.name(first + i);
                    }
                    dir.put(lowerManifest.name(first + i), child);
                }
            }
            d.dir = dir;
        }
        return d.dir;
    }

    // ---- reading ----

    public Node lookup(Node dir, byte[] name, Permissions.Credentials who) throws FsException {
        requireDirectory(dir);
        check(dir, who, Permissions.EXECUTE, "search");
        checkName(name);
        if (isDot(name)) {
            return dir;
        }
        if (isDotDot(name)) {
            return dir.parent == null ? dir : dir.parent;
        }
        Node child = dir(dir).get(name);
        if (child == null) {
            throw new FsException(Errno.ENOENT, "no '" + printable(name) + "' in " + describe(dir));
        }
        return child;
    }

    public Attributes attributes(Node n) throws FsException {
        long size = n.size;
        long blocks = (size + Attributes.BLOCK_SIZE - 1) / Attributes.BLOCK_SIZE;
        long atime = n.atime;
        long mtime = n.mtime;
        long ctime = n.ctime;
        if (n.dataFile) {
            try {
                NativeFs.Stat st = NativeFs.stat(dataPath(n));
                size = st.size();
                blocks = st.blocks();
                atime = st.atimeNanos();
                mtime = st.mtimeNanos();
                ctime = Math.max(ctime, st.ctimeNanos());
            } catch (IOException e) {
                throw new FsException(Errno.EIO, "the scratch file of " + describe(n) + " is unreadable: " + e.getMessage());
            }
        }
        int nlink;
        if (n.isDirectory()) {
            nlink = n.dir != null ? 2 + n.dir.subdirectories : lower.attributes(n.lower).nlink();
            size = 4096;
            blocks = 8;
        } else {
            nlink = n.links;
        }
        return new Attributes(n.id, n.typedMode(), nlink, n.uid, n.gid, size, blocks, atime, mtime, ctime, n.rdev);
    }

    /** Listing from {@code offset}: "." is 0 to 1, ".." 1 to 2, then entries by their stable cookies. */
    public List<Listed> readdir(Node d, long offset, int max) throws FsException {
        requireDirectory(d);
        List<Listed> out = new ArrayList<>();
        if (offset < 1) {
            out.add(new Listed(new byte[] {'.'}, d, 1));
        }
        if (offset < 2 && out.size() < max) {
            out.add(new Listed(new byte[] {'.', '.'}, d.parent == null ? d : d.parent, 2));
        }
        for (Slot s : dir(d).byCookie.tailMap(Math.max(offset, 2), false).values()) {
            if (out.size() >= max) {
                break;
            }
            out.add(new Listed(s.name(), s.node(), s.cookie()));
        }
        return out;
    }

    public byte[] readlink(Node n) throws FsException {
        if (n.kind != EntryKind.SYMLINK) {
            throw new FsException(Errno.EINVAL, describe(n) + " is not a symbolic link");
        }
        return n.target;
    }

    public SortedMap<String, byte[]> xattrs(Node n) {
        return n.xattrs;
    }

    public byte[] getxattr(Node n, String name, Permissions.Credentials who) throws FsException {
        if (name.startsWith("user.")) {
            check(n, who, Permissions.READ, "read attributes of");
        }
        byte[] value = n.xattrs.get(name);
        if (value == null) {
            throw FsException.noAttribute(describe(n), name);
        }
        return value;
    }

    public StatFs statfs() {
        StatFs base = lower.statfs();
        try {
            // the scratch's disk is where this view's changes go: its space and files, as df shows them there
            NativeFs.Space disk = NativeFs.space(dataDir);
            long bs = base.blockSize();
            long scale = Math.max(1, disk.fragment());
            long files = disk.files() > 0 ? disk.files() : base.files() + byId.size();
            long filesFree = disk.files() > 0 ? disk.filesFree() : Long.MAX_VALUE / 2;
            return new StatFs(disk.blocks() * scale / bs, disk.blocksFree() * scale / bs, disk.blocksAvailable() * scale / bs,
                    files, filesFree, base.blockSize(), View.NAME_MAX);
        } catch (IOException e) {
            return base;
        }
    }

    // ---- opening ----

    /**
     * Checks an open and returns the file to serve it from. A write to a lower file needs
     * {@link #copyUp} first: the caller does it and has the kernel look the node up again.
     */
    public OpenFile open(Node n, OpenIntent intent, Permissions.Credentials who) throws FsException {
        if (n.isDirectory()) {
            if (intent.writes()) {
                throw new FsException(Errno.EISDIR, describe(n) + " is a directory");
            }
            return null;
        }
        if (n.kind != EntryKind.FILE) {
            throw new FsException(Errno.EINVAL, describe(n) + " has no content to open");
        }
        int mask = intent.exec() ? Permissions.EXECUTE : 0;
        if (intent.read() && !intent.exec()) {
            mask |= Permissions.READ;
        }
        if (intent.writes()) {
            mask |= Permissions.WRITE;
        }
        check(n, who, mask, "open");
        if (intent.writes() && !n.dataFile) {
            throw new IllegalStateException("copy " + describe(n) + " up before opening it for writing");
        }
        if (intent.truncate()) {
            truncate(n, 0);
        }
        return new OpenFile(n.dataFile ? dataPath(n) : lower.blobPath(n.lower), n.dataFile);
    }

    /**
     * Opens a file {@link #create} just made: as open(2) with O_CREAT, its creator gets the access it
     * asked for whatever the new file's mode says (git makes its objects with mode 0444, opened O_RDWR).
     */
    public OpenFile openCreated(Node n) {
        if (!n.dataFile) {
            throw new IllegalStateException(describe(n) + " was not made by create");
        }
        return new OpenFile(dataPath(n), true);
    }

    public void opened(Node n) {
        n.opens++;
    }

    private static final long RELATIME_DAY_NANOS = 24L * 3600 * 1_000_000_000L;

    /**
     * A lower file was read: its atime moves as relatime moves it on a local disk (when it is not
     * after the mtime or ctime, or a day old). A scratch file's own file system keeps its atime.
     */
    public void accessed(Node n) throws FsException {
        if (n.dataFile || n.kind != EntryKind.FILE) {
            return;
        }
        long now = now();
        if (n.atime > n.mtime && n.atime > n.ctime && now - n.atime < RELATIME_DAY_NANOS) {
            return;
        }
        log(new ScratchJournal.Accessed(n.id, now));
        n.atime = now;
    }

    /** An open handle was closed; an object with no names left is gone with its last handle. */
    public void released(Node n) {
        n.opens--;
        if (n.opens <= 0 && !n.isDirectory() && n.links <= 0) {
            dispose(n);
        }
    }

    /**
     * Moves a lower file's content into the scratch (a reflink where the file system shares extents;
     * otherwise an in-kernel copy, or for a big file a {@link LazyCopy} that fills after the answer);
     * {@code keepContent} false starts it empty (an O_TRUNC open). The
     * node keeps its inode number; its generation changes, since the kernel must see a new node.
     */
    public void copyUp(Node n, boolean keepContent) throws FsException {
        if (n.dataFile || n.kind != EntryKind.FILE) {
            return;
        }
        Path data = dataPath(n);
        Path part = dataDir.resolve(n.id + ".part");
        LazyCopy lazy = null;
        try {
            Files.deleteIfExists(part);
            // an O_TRUNC open needs no lower content (nor its blob fetched from a remote)
            Path blob = keepContent && n.size > 0 ? lower.blobPath(n.lower) : null;
            boolean copyLater = false;
            if (blob == null) {
                Files.createFile(part);
            } else if (n.size < LAZY_COPY_FROM) {
                NativeFs.cloneOrCopy(blob, part);
            } else if (!NativeFs.reflink(blob, part)) {
                // no shared extents here: the file starts sparse and fills chunk by chunk (LazyCopy)
                try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "rw")) {
                    f.setLength(n.size);
                }
                copyLater = true;
            }
            NativeFs.setTimes(part, n.atime, n.mtime);
            Files.move(part, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (copyLater) {
                Files.createDirectories(fillDir);
                lazy = LazyCopy.start(blob, data, fillMap(n), COPY_CHUNK, n.size);
            }
            log(new ScratchJournal.CopiedUp(n.id));
            COPY_UPS.increment();
            if (lazy != null) {
                LAZY_COPY_UPS.increment();
            }
            if (keepContent) {
                COPY_UP_BYTES.add(n.size);
            }
        } catch (IOException | FsException e) {
            deleteQuietly(part);
            if (lazy != null) {
                lazy.stop();
                deleteQuietly(fillMap(n));
                deleteQuietly(data);
            }
            throw e instanceof FsException f ? f : copyUpFailed(n, (IOException) e);
        }
        if (lazy != null) {
            copying.put(n, lazy);
        }
        applyCopiedUp(n);
    }

    /** A copy-up still filling its scratch file, or null; its users call {@link LazyCopy#ensure} before touching the file. */
    public LazyCopy copying(Node n) {
        LazyCopy c = copying.get(n);
        if (c != null && c.complete()) {
            copying.remove(n);
            return null;
        }
        return c;
    }

    /** Finishes every copy-up still filling (before a commit reads the scratch files). */
    public void completeCopies() throws FsException {
        for (Map.Entry<Node, LazyCopy> c : copying.entrySet()) {
            try {
                c.getValue().ensureAll();
            } catch (IOException e) {
                throw copyUpFailed(c.getKey(), e);
            }
        }
        copying.clear();
    }

    private FsException copyUpFailed(Node n, IOException e) {
        return new FsException(noSpace(e) ? Errno.ENOSPC : Errno.EIO, "copy-up of " + describe(n) + " failed: " + e.getMessage());
    }

    /** The map of a lazy copy-up of {@code n}. */
    private Path fillMap(Node n) {
        return fillDir.resolve(Long.toString(n.id));
    }

    /** The kernel is to see {@code n} under a new node id from now on (its handles are gone, its io mode may change). */
    public void renew(Node n) {
        n.generation++;
    }

    /** Copy-ups made by every overlay of this process, and the bytes they moved, for the daemon's metrics. */
    public static long copyUps() {
        return COPY_UPS.sum();
    }

    /** Of those, the ones that did not copy before answering (LazyCopy). */
    public static long lazyCopyUps() {
        return LAZY_COPY_UPS.sum();
    }

    public static long copyUpBytes() {
        return COPY_UP_BYTES.sum();
    }

    private void applyCopiedUp(Node n) {
        n.dataFile = true;
        n.touched = true;
        n.generation++;
    }

    // ---- creating ----

    public Node create(Node dir, byte[] name, int mode, Permissions.Credentials who) throws FsException {
        return make(dir, name, (mode & 07777) | EntryKind.FILE.typeBits(), 0, null, who);
    }

    /**
     * O_TMPFILE: a regular file in {@code dir}'s file system with no name (no links), gone with its
     * last handle unless {@code linkable} and {@link #link}ed first. Journaled as a creation without a
     * name, so that a link made later replays onto it.
     */
    public Node createUnnamed(Node dir, int mode, boolean linkable, Permissions.Credentials who) throws FsException {
        Node n = make(dir, null, (mode & 07777) | EntryKind.FILE.typeBits(), 0, null, who);
        n.linkable = linkable;
        return n;
    }

    public Node mknod(Node dir, byte[] name, int mode, long rdev, Permissions.Credentials who) throws FsException {
        int type = mode & 0170000;
        EntryKind kind = kindOf(type == 0 ? EntryKind.FILE.typeBits() : type);
        if (kind == null) {
            throw new FsException(Errno.EINVAL, "mknod of an unknown file type " + Integer.toOctalString(type));
        }
        if (kind.isDevice() && who.uid() != 0) {
            throw new FsException(Errno.EPERM, "only root makes device nodes");
        }
        return make(dir, name, kind.typeBits() | (mode & 07777), kind.isDevice() ? rdev : 0, null, who);
    }

    public Node mkdir(Node dir, byte[] name, int mode, Permissions.Credentials who) throws FsException {
        return make(dir, name, EntryKind.DIRECTORY.typeBits() | (mode & 07777), 0, null, who);
    }

    public Node symlink(Node dir, byte[] name, byte[] target, Permissions.Credentials who) throws FsException {
        if (target.length == 0) {
            throw new FsException(Errno.ENOENT, "a symbolic link needs a target");
        }
        if (target.length >= View.PATH_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "a link target has fewer than " + View.PATH_MAX + " bytes");
        }
        return make(dir, name, EntryKind.SYMLINK.typeBits() | 0777, 0, target, who);
    }

    /** Makes an object named {@code name} in {@code dir}; a null name makes an unnamed one (O_TMPFILE). */
    private Node make(Node dir, byte[] name, int typedMode, long rdev, byte[] target, Permissions.Credentials who) throws FsException {
        requireDirectory(dir);
        if (name != null) {
            checkNewName(dir, name);
        }
        check(dir, who, Permissions.WRITE | Permissions.EXECUTE, "create in");
        if (name != null && dir(dir).get(name) != null) {
            throw new FsException(Errno.EEXIST, "'" + printable(name) + "' exists in " + describe(dir));
        }
        boolean isDir = (typedMode & 0170000) == EntryKind.DIRECTORY.typeBits();
        int gid = who.gid();
        int mode = typedMode;
        if ((dir.mode & S_ISGID) != 0) {
            // BSD group semantics in a setgid directory: the group is the directory's, and subdirectories stay setgid
            gid = dir.gid;
            if (isDir) {
                mode |= S_ISGID;
            }
        }
        if (!isDir && (mode & S_ISGID) != 0 && who.uid() != 0 && !Permissions.inGroup(who, gid)) {
            mode &= ~S_ISGID;
        }
        long id = nextId;
        EntryKind kind = kindOf(mode & 0170000);
        if (kind == EntryKind.FILE) {
            try {
                Files.createFile(dataDir.resolve(Long.toString(id)));
            } catch (IOException e) {
                throw new FsException(noSpace(e) ? Errno.ENOSPC : Errno.EIO, "cannot create a scratch file: " + e.getMessage());
            }
        }
        ScratchJournal.Created record = new ScratchJournal.Created(dir.id, name == null ? NO_NAME : name, id, mode, who.uid(), gid,
                rdev, target, now());
        log(record);
        return applyCreated(record);
    }

    private Node applyCreated(ScratchJournal.Created c) {
        Node dir = node(c.parent());
        EntryKind kind = kindOf(c.mode() & 0170000);
        Node n = new Node(c.ino(), -1, kind);
        n.mode = c.mode() & 07777;
        n.uid = c.uid();
        n.gid = c.gid();
        n.rdev = c.rdev();
        n.target = c.target();
        n.size = c.target() != null ? c.target().length : 0;
        n.atime = n.mtime = n.ctime = c.timeNanos();
        n.xattrs = Collections.emptySortedMap();
        n.dataFile = kind == EntryKind.FILE;
        n.touched = true;
        if (kind == EntryKind.DIRECTORY) {
            n.dir = new Dir();
            n.parent = dir;
            n.name = c.name();
        }
        byId.put(n.id, n);
        nextId = Math.max(nextId, c.ino() + 1);
        if (c.name().length == 0) {
            n.links = 0; // O_TMPFILE: no name until a link gives it one
            return n;
        }
        dir(dir).put(c.name(), n);
        changed(dir, c.timeNanos());
        return n;
    }

    public Node link(Node n, Node dir, byte[] name, Permissions.Credentials who) throws FsException {
        if (n.isDirectory()) {
            throw new FsException(Errno.EPERM, "hard links to directories are not allowed");
        }
        requireDirectory(dir);
        checkNewName(dir, name);
        check(dir, who, Permissions.WRITE | Permissions.EXECUTE, "link in");
        if (dir(dir).get(name) != null) {
            throw new FsException(Errno.EEXIST, "'" + printable(name) + "' exists in " + describe(dir));
        }
        if (n.links <= 0 && !n.linkable) {
            throw new FsException(Errno.ENOENT, "cannot link an unlinked file");
        }
        if (PROTECTED_HARDLINKS && who.uid() != 0 && who.uid() != n.uid && !safeHardlinkSource(n, who)) {
            throw new FsException(Errno.EPERM, "fs.protected_hardlinks: only the owner may link " + describe(n)
                    + ", a file this user may not read and write");
        }
        ScratchJournal.Linked record = new ScratchJournal.Linked(n.id, dir.id, name, now());
        log(record);
        applyLinked(record);
        n.linkable = false; // as the kernel's I_LINKABLE: an O_TMPFILE file is linked once from nothing
        return n;
    }

    /** The kernel's fs.protected_hardlinks, read once: the same rule in every view as on the host. */
    private static final boolean PROTECTED_HARDLINKS = readSysctl("/proc/sys/fs/protected_hardlinks");

    private static boolean readSysctl(String path) {
        try {
            return Files.readString(Path.of(path)).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A file anyone may link, as may_linkat(2) says: regular, not setuid or setgid-executable, readable and writable by the linker. */
    private static boolean safeHardlinkSource(Node n, Permissions.Credentials who) {
        if (n.kind != EntryKind.FILE || (n.mode & S_ISUID) != 0 || (n.mode & (S_ISGID | 010)) == (S_ISGID | 010)) {
            return false;
        }
        return Permissions.allows(n.typedMode(), n.uid, n.gid, who, Permissions.READ | Permissions.WRITE);
    }

    private void applyLinked(ScratchJournal.Linked l) {
        Node n = node(l.ino());
        Node dir = node(l.parent());
        n.links++;
        n.touched = true; // every name of a hard-linked object goes into a commit, so the link survives it
        n.ctime = l.timeNanos();
        dir(dir).put(l.name(), n);
        changed(dir, l.timeNanos());
    }

    // ---- removing ----

    public void unlink(Node dir, byte[] name, Permissions.Credentials who) throws FsException {
        Node n = removable(dir, name, who);
        if (n.isDirectory()) {
            throw new FsException(Errno.EISDIR, describe(n) + " is a directory (use rmdir)");
        }
        ScratchJournal.Removed record = new ScratchJournal.Removed(dir.id, name, now());
        log(record);
        applyRemoved(record);
    }

    public void rmdir(Node dir, byte[] name, Permissions.Credentials who) throws FsException {
        if (isDot(name)) {
            throw new FsException(Errno.EINVAL, "cannot remove '.'");
        }
        if (isDotDot(name)) {
            throw new FsException(Errno.ENOTEMPTY, "cannot remove '..'");
        }
        Node n = removable(dir, name, who);
        if (!n.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, describe(n) + " is not a directory");
        }
        if (!dir(n).byName.isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, describe(n) + " is not empty");
        }
        ScratchJournal.Removed record = new ScratchJournal.Removed(dir.id, name, now());
        log(record);
        applyRemoved(record);
    }

    private Node removable(Node dir, byte[] name, Permissions.Credentials who) throws FsException {
        requireDirectory(dir);
        checkName(name);
        check(dir, who, Permissions.WRITE | Permissions.EXECUTE, "remove from");
        Node n = dir(dir).get(name);
        if (n == null) {
            throw new FsException(Errno.ENOENT, "no '" + printable(name) + "' in " + describe(dir));
        }
        checkSticky(dir, n, who);
        return n;
    }

    private void applyRemoved(ScratchJournal.Removed r) {
        Node dir = node(r.parent());
        Slot slot = dir(dir).remove(r.name());
        changed(dir, r.timeNanos());
        if (slot != null) {
            unlinked(slot.node(), r.timeNanos());
        }
    }

    /** One name of {@code n} is gone. */
    private void unlinked(Node n, long time) {
        n.ctime = time;
        if (n.isDirectory()) {
            // a directory is removed empty (rmdir, or replaced by a rename): nothing under it to forget
            n.parent = null;
            byId.remove(n.id);
            return;
        }
        n.links--;
        // in a replay a later record may link it again (an O_TMPFILE file): the sweep after it disposes
        if (n.links <= 0 && n.opens <= 0 && !replaying) {
            dispose(n);
        }
    }

    private void dispose(Node n) {
        byId.remove(n.id);
        LazyCopy c = copying.remove(n);
        if (c != null) {
            c.stop();
            deleteQuietly(fillMap(n));
        }
        if (n.dataFile) {
            deleteQuietly(dataPath(n));
        }
    }

    // ---- renaming ----

    public void rename(Node fromDir, byte[] fromName, Node toDir, byte[] toName, int flags, Permissions.Credentials who)
            throws FsException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw new FsException(Errno.EINVAL, "unsupported rename flags " + flags);
        }
        requireDirectory(fromDir);
        requireDirectory(toDir);
        checkName(fromName);
        if (isDot(fromName) || isDotDot(fromName) || isDot(toName) || isDotDot(toName)) {
            throw new FsException(Errno.EINVAL, "cannot rename '.' or '..'");
        }
        checkNewName(toDir, toName);
        check(fromDir, who, Permissions.WRITE | Permissions.EXECUTE, "rename from");
        check(toDir, who, Permissions.WRITE | Permissions.EXECUTE, "rename into");
        Node source = dir(fromDir).get(fromName);
        if (source == null) {
            throw new FsException(Errno.ENOENT, "no '" + printable(fromName) + "' in " + describe(fromDir));
        }
        Node target = dir(toDir).get(toName);
        if (target == source) {
            return; // two names of one object: rename(2) does nothing
        }
        checkSticky(fromDir, source, who);
        if (target != null) {
            if ((flags & RENAME_NOREPLACE) != 0) {
                throw new FsException(Errno.EEXIST, "'" + printable(toName) + "' exists in " + describe(toDir));
            }
            checkSticky(toDir, target, who);
        } else if ((flags & RENAME_EXCHANGE) != 0) {
            throw new FsException(Errno.ENOENT, "no '" + printable(toName) + "' in " + describe(toDir) + " to exchange with");
        }
        if ((flags & RENAME_EXCHANGE) == 0 && target != null) {
            if (source.isDirectory() && !target.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, describe(target) + " is not a directory");
            }
            if (!source.isDirectory() && target.isDirectory()) {
                throw new FsException(Errno.EISDIR, "cannot replace the directory '" + printable(toName) + "' with a file");
            }
            if (target.isDirectory() && !dir(target).byName.isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, "'" + printable(toName) + "' is a directory that is not empty");
            }
        }
        if (source.isDirectory() && isWithin(toDir, source)) {
            throw new FsException(Errno.EINVAL, "cannot move " + describe(source) + " into itself");
        }
        if ((flags & RENAME_EXCHANGE) != 0 && target.isDirectory() && isWithin(fromDir, target)) {
            throw new FsException(Errno.EINVAL, "cannot move " + describe(target) + " into itself");
        }
        // a directory moving to another parent rewrites its "..": that needs write permission on it
        if (fromDir != toDir) {
            if (source.isDirectory()) {
                check(source, who, Permissions.WRITE, "move");
            }
            if ((flags & RENAME_EXCHANGE) != 0 && target.isDirectory()) {
                check(target, who, Permissions.WRITE, "move");
            }
        }
        ScratchJournal.Renamed record = new ScratchJournal.Renamed(fromDir.id, fromName, toDir.id, toName, flags, now());
        log(record);
        applyRenamed(record);
    }

    private void applyRenamed(ScratchJournal.Renamed r) {
        Node fromDir = node(r.oldParent());
        Node toDir = node(r.newParent());
        Dir from = dir(fromDir);
        Dir to = dir(toDir);
        Slot source = from.remove(r.oldName());
        long time = r.timeNanos();
        if ((r.flags() & RENAME_EXCHANGE) != 0) {
            Slot target = to.remove(r.newName());
            to.put(r.newName(), source.node());
            from.put(r.oldName(), target.node());
            moved(target.node(), fromDir, r.oldName(), time);
        } else {
            Slot replaced = to.remove(r.newName());
            to.put(r.newName(), source.node());
            if (replaced != null) {
                unlinked(replaced.node(), time);
            }
        }
        moved(source.node(), toDir, r.newName(), time);
        changed(fromDir, time);
        changed(toDir, time);
    }

    private void moved(Node n, Node dir, byte[] name, long time) {
        n.ctime = time;
        n.touched = true;
        if (n.isDirectory()) {
            n.parent = dir;
            n.name = name;
        }
    }

    private static boolean isWithin(Node dir, Node ancestor) {
        for (Node d = dir; d != null; d = d.parent) {
            if (d == ancestor) {
                return true;
            }
        }
        return false;
    }

    // ---- attributes ----

    /**
     * SETATTR with chown/chmod/utimes rules as Linux applies them. A size change of a lower file
     * needs {@link #copyUp} first, as a write does.
     */
    public void setAttributes(Node n, SetAttributes s, Permissions.Credentials who) throws FsException {
        int valid = s.journalBits();
        boolean owner = who.uid() == 0 || who.uid() == n.uid;
        int mode = s.mode() & 07777;
        if ((valid & SET_MODE) != 0) {
            if (!owner && !killsPrivileges(n, mode, who)) {
                throw new FsException(Errno.EPERM, "only the owner or root may chmod " + describe(n));
            }
            int group = (valid & SET_GID) != 0 ? s.gid() : n.gid;
            if (who.uid() != 0 && (mode & S_ISGID) != 0 && !Permissions.inGroup(who, group)) {
                mode &= ~S_ISGID; // as chmod(2): the setgid bit needs membership of the group
            }
        }
        // as chown_ok and chgrp_ok: even a "change" to the same owner is the owner's (or root's) to make
        if ((valid & SET_UID) != 0 && who.uid() != 0 && (s.uid() != n.uid || who.uid() != n.uid)) {
            throw new FsException(Errno.EPERM, "only root may change the owner of " + describe(n));
        }
        if ((valid & SET_GID) != 0 && who.uid() != 0
                && (who.uid() != n.uid || s.gid() != n.gid && !Permissions.inGroup(who, s.gid()))) {
            throw new FsException(Errno.EPERM, "only the owner, as a member of group " + s.gid() + ", may give " + describe(n) + " to it");
        }
        if ((valid & (SET_ATIME | SET_MTIME)) != 0) {
            boolean toNow = (valid & (SET_ATIME | SET_ATIME_NOW)) != SET_ATIME && (valid & (SET_MTIME | SET_MTIME_NOW)) != SET_MTIME;
            if (!owner && (!toNow || !Permissions.allows(n.typedMode(), n.uid, n.gid, who, Permissions.WRITE))) {
                throw new FsException(toNow ? Errno.EACCES : Errno.EPERM, "not allowed to set the times of " + describe(n));
            }
        }
        if ((valid & SET_SIZE) != 0) {
            if (n.isDirectory()) {
                throw new FsException(Errno.EISDIR, describe(n) + " is a directory");
            }
            if (n.kind != EntryKind.FILE) {
                throw new FsException(Errno.EINVAL, describe(n) + " is not a regular file");
            }
            if (!s.viaHandle()) {
                check(n, who, Permissions.WRITE, "truncate");
            }
            if (s.size() < 0) {
                throw new FsException(Errno.EINVAL, "negative size");
            }
            if (!n.dataFile) {
                throw new IllegalStateException("copy " + describe(n) + " up before truncating it");
            }
        }
        long time = now();
        long atime = (valid & SET_ATIME_NOW) != 0 ? time : s.atimeNanos();
        long mtime = (valid & SET_MTIME_NOW) != 0 ? time : s.mtimeNanos();
        // ownership changes by non-root drop setuid and setgid, as chown(2) does
        if ((valid & (SET_UID | SET_GID)) != 0 && who.uid() != 0 && n.kind == EntryKind.FILE && (valid & SET_MODE) == 0) {
            mode = n.mode & ~(S_ISUID | ((n.mode & 010) != 0 ? S_ISGID : 0));
            valid |= SET_MODE;
        }
        if (n.dataFile) {
            try {
                if ((valid & SET_SIZE) != 0) {
                    truncate(n, s.size());
                }
                if ((valid & (SET_ATIME | SET_MTIME)) != 0) {
                    NativeFs.Stat st = NativeFs.stat(dataPath(n));
                    NativeFs.setTimes(dataPath(n), (valid & SET_ATIME) != 0 ? atime : st.atimeNanos(),
                            (valid & SET_MTIME) != 0 ? mtime : st.mtimeNanos());
                }
            } catch (IOException e) {
                throw new FsException(Errno.EIO, "setting the times of " + describe(n) + " failed: " + e.getMessage());
            }
        }
        ScratchJournal.AttributesSet record = new ScratchJournal.AttributesSet(n.id, valid, mode,
                s.uid(), s.gid(), s.size(), atime, mtime, time);
        log(record);
        applyAttributes(record);
    }

    /**
     * Whether a mode change is the kernel's own after a write, truncate or chown by someone else
     * (file_remove_privs): setuid, and setgid of a group-executable file, cleared and nothing else, for
     * a caller who may write the file. The protocol sends it as a chmod (FATTR_MODE), which the owner
     * rule would refuse with EPERM, failing the write.
     */
    private static boolean killsPrivileges(Node n, int mode, Permissions.Credentials who) {
        int privileges = S_ISUID | ((n.mode & 010) != 0 ? S_ISGID : 0);
        return n.kind == EntryKind.FILE && (n.mode & privileges) != 0 && mode == (n.mode & ~privileges)
                && Permissions.allows(n.typedMode(), n.uid, n.gid, who, Permissions.WRITE);
    }

    private void truncate(Node n, long size) throws FsException {
        LazyCopy filling = copying(n);
        if (filling != null) {
            try {
                filling.ensureAll();
            } catch (IOException e) {
                throw copyUpFailed(n, e);
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(dataPath(n).toFile(), "rw")) {
            f.setLength(size);
        } catch (IOException e) {
            Errno errno = noSpace(e) ? Errno.ENOSPC : tooLarge(e) ? Errno.EFBIG : Errno.EIO;
            throw new FsException(errno, "truncating " + describe(n) + " failed: " + e.getMessage());
        }
        n.ctime = now();
    }

    private void applyAttributes(ScratchJournal.AttributesSet a) {
        Node n = node(a.ino());
        if (n == null) {
            return; // an unlinked file changed through a handle, gone since
        }
        int valid = a.valid();
        if ((valid & SET_MODE) != 0) {
            n.mode = a.mode() & 07777;
        }
        if ((valid & SET_UID) != 0) {
            n.uid = a.uid();
        }
        if ((valid & SET_GID) != 0) {
            n.gid = a.gid();
        }
        if (!n.dataFile) {
            // a data file holds its own size and times
            if ((valid & SET_ATIME) != 0) {
                n.atime = a.atimeNanos();
            }
            if ((valid & SET_MTIME) != 0) {
                n.mtime = a.mtimeNanos();
            }
        }
        n.ctime = a.timeNanos();
        n.touched = true;
    }

    public void setxattr(Node n, String name, byte[] value, int flags, Permissions.Credentials who) throws FsException {
        checkXattrWrite(n, name, who);
        boolean exists = n.xattrs.containsKey(name);
        if ((flags & XATTR_CREATE) != 0 && exists) {
            throw new FsException(Errno.EEXIST, describe(n) + " has an attribute " + name + " already");
        }
        if ((flags & XATTR_REPLACE) != 0 && !exists) {
            throw new FsException(Errno.ENODATA, describe(n) + " has no attribute " + name);
        }
        ScratchJournal.XattrSet record = new ScratchJournal.XattrSet(n.id, name, value, now());
        log(record);
        applyXattr(record);
    }

    public void removexattr(Node n, String name, Permissions.Credentials who) throws FsException {
        checkXattrWrite(n, name, who);
        if (!n.xattrs.containsKey(name)) {
            throw new FsException(Errno.ENODATA, describe(n) + " has no attribute " + name);
        }
        ScratchJournal.XattrSet record = new ScratchJournal.XattrSet(n.id, name, null, now());
        log(record);
        applyXattr(record);
    }

    private void checkXattrWrite(Node n, String name, Permissions.Credentials who) throws FsException {
        if (name.isEmpty() || name.length() > 255) {
            throw new FsException(Errno.ERANGE, "an attribute name has 1 to 255 bytes");
        }
        if (name.startsWith("user.")) {
            if (n.kind != EntryKind.FILE && n.kind != EntryKind.DIRECTORY) {
                throw new FsException(Errno.EPERM, "user attributes belong to files and directories");
            }
            check(n, who, Permissions.WRITE, "set attributes of");
        } else if (name.startsWith("trusted.") || name.startsWith("security.")) {
            if (who.uid() != 0 && !(name.startsWith("security.") && who.uid() == n.uid)) {
                throw new FsException(Errno.EPERM, "only root may set " + name);
            }
        } else {
            throw new FsException(Errno.EOPNOTSUPP, "attribute namespace of " + name + " is not supported");
        }
    }

    private void applyXattr(ScratchJournal.XattrSet x) {
        Node n = node(x.ino());
        if (n == null) {
            return;
        }
        TreeMap<String, byte[]> values = new TreeMap<>(n.xattrs);
        if (x.value() == null) {
            values.remove(x.name());
        } else {
            values.put(x.name(), x.value());
        }
        n.xattrs = Collections.unmodifiableSortedMap(values);
        n.ctime = x.timeNanos();
        n.touched = true;
    }

    // ---- durability ----

    /** Makes every acknowledged change durable (FSYNC, FSYNCDIR). */
    public void sync() throws FsException {
        try {
            journal.sync();
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "syncing the scratch journal failed: " + e.getMessage());
        }
    }

    public Path dataPath(Node n) {
        return dataDir.resolve(Long.toString(n.id));
    }

    /** Records in the journal: zero when nothing was ever changed. */
    public long journalSize() {
        return journal.size();
    }

    @Override
    public void close() throws IOException {
        copying.values().forEach(LazyCopy::stop); // the maps stay: the next open resumes them
        journal.close();
    }

    /** Copy-ups a stopped daemon left filling resume; maps of files that are gone go. */
    private void resumeCopies() throws IOException {
        if (!Files.isDirectory(fillDir)) {
            return;
        }
        try (DirectoryStream<Path> maps = Files.newDirectoryStream(fillDir)) {
            for (Path map : maps) {
                String name = map.getFileName().toString();
                Node n = name.matches("\\d+") ? byId.get(Long.parseLong(name)) : null;
                if (n == null || !n.dataFile || n.lower < 0) {
                    Files.deleteIfExists(map);
                } else {
                    Path blob;
                    try {
                        blob = lower.blobPath(n.lower);
                    } catch (FsException e) {
                        throw new IOException("the copy-up of " + describe(n) + " cannot resume: " + e.getMessage(), e);
                    }
                    copying.put(n, LazyCopy.resume(blob, dataPath(n), map, lowerManifest.size(n.lower)));
                }
            }
        }
    }

    private void log(ScratchJournal.Record record) throws FsException {
        if (replaying) {
            return;
        }
        try {
            journal.append(record);
        } catch (IOException e) {
            throw new FsException(noSpace(e) ? Errno.ENOSPC : Errno.EIO, "the scratch journal cannot be written: " + e.getMessage());
        }
    }

    private void replay(List<ScratchJournal.Record> records) {
        replaying = true;
        try {
            for (ScratchJournal.Record r : records) {
                if (r instanceof ScratchJournal.Created c) {
                    applyCreated(c);
                } else if (r instanceof ScratchJournal.Linked l) {
                    applyLinked(l);
                } else if (r instanceof ScratchJournal.Removed d) {
                    applyRemoved(d);
                } else if (r instanceof ScratchJournal.Renamed n) {
                    applyRenamed(n);
                } else if (r instanceof ScratchJournal.AttributesSet a) {
                    applyAttributes(a);
                } else if (r instanceof ScratchJournal.CopiedUp c) {
                    Node n = node(c.ino());
                    if (n != null) {
                        applyCopiedUp(n);
                    }
                } else if (r instanceof ScratchJournal.XattrSet x) {
                    applyXattr(x);
                } else if (r instanceof ScratchJournal.Accessed a) {
                    Node n = node(a.ino());
                    if (n != null && !n.dataFile) {
                        n.atime = a.atimeNanos();
                    }
                }
            }
        } finally {
            replaying = false;
        }
    }

    private void removeStrayData() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                Node n = name.matches("\\d+") ? byId.get(Long.parseLong(name)) : null;
                if (n == null || !n.dataFile) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    // ---- changes ----

    /** What a commit records, in tree order: parents before children. */
    public record Change(String path, Node node, Type type, boolean opaque) {
        public enum Type { DIRECTORY, OBJECT, WHITEOUT }

        /** A directory listed only because something below it changed. */
        public boolean passThrough(Overlay overlay) {
            return type == Type.DIRECTORY && !opaque && !node.touched && node.lower >= 0
                    && overlay.lowerManifest.path(node.lower).equals(path);
        }
    }

    /**
     * The scratch's changes relative to the lower view, as a layer would record them: whiteouts for
     * removed lower names, changed and new objects, and opaque directories where a new or moved
     * directory stands on a lower directory. A moved lower directory is recorded with its whole tree.
     */
    /** Whether {@code n} is this overlay's (a handle opened before a commit holds the previous overlay's). */
    public boolean owns(Node n) {
        return byId.get(n.id) == n;
    }

    /**
     * Where each of these objects (files and directories) is in this view (one of its names), for
     * those that have a name: a changed one where the changes list it, an untouched lower one at its
     * lower path if that still leads to it.
     */
    public Map<Node, String> pathsOf(Collection<Node> objects) {
        Set<Node> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
        wanted.addAll(objects);
        Map<Node, String> out = new IdentityHashMap<>();
        for (Change c : changes()) {
            if ((c.type() == Change.Type.OBJECT || c.type() == Change.Type.DIRECTORY) && c.node() != null && wanted.contains(c.node())) {
                out.putIfAbsent(c.node(), c.path());
            }
        }
        for (Node n : wanted) {
            if (!out.containsKey(n) && n.lower >= 0 && n.links > 0) {
                String path = lowerManifest.path(n.lower);
                if (nodeAt(path) == n) {
                    out.put(n, path);
                }
            }
        }
        return out;
    }

    /** The object at {@code path} in this view, without permission checks; null when there is none. */
    public Node nodeAt(String path) {
        Node n = root;
        if (path.isEmpty()) {
            return n;
        }
        for (String part : path.split("/")) {
            if (!n.isDirectory()) {
                return null;
            }
            n = dir(n).get(Names.bytes(part));
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    public List<Change> changes() {
        List<Change> out = new ArrayList<>();
        walk("", root, Manifest.ROOT, false, out);
        if (out.size() == 1 && !root.touched) {
            out.clear();
        }
        return out;
    }

    private boolean walk(String path, Node d, int lowerHere, boolean full, List<Change> out) {
        int mark = out.size();
        boolean inPlace = !full && d.lower >= 0 && d.lower == lowerHere;
        out.add(new Change(path, d, Change.Type.DIRECTORY, !inPlace && lowerHere >= 0));
        boolean everything = full || !inPlace;
        if (d.dir != null || everything) {
            Dir dir = dir(d);
            if (!everything) {
                int first = lowerManifest.firstChild(lowerHere);
                for (int i = 0; i < lowerManifest.childCount(lowerHere); i++) {
                    byte[] name = lowerManifest.name(first + i);
                    if (dir.get(name) == null) {
                        out.add(new Change(join(path, name), null, Change.Type.WHITEOUT, false));
                    }
                }
            }
            List<Slot> slots = new ArrayList<>(dir.byName.values());
            slots.sort((a, b) -> Arrays.compareUnsigned(a.name(), b.name()));
            for (Slot s : slots) {
                String childPath = join(path, s.name());
                int lowerChild = everything ? Manifest.NOT_FOUND : lowerManifest.lookup(lowerHere, s.name());
                Node c = s.node();
                if (c.isDirectory()) {
                    int lowerDir = lowerChild >= 0 && lowerManifest.isDirectory(lowerChild) ? lowerChild : Manifest.NOT_FOUND;
                    walk(childPath, c, lowerDir, everything, out);
                } else if (everything || !sameLowerObject(c, lowerChild) || c.touched) {
                    out.add(new Change(childPath, c, Change.Type.OBJECT, false));
                }
            }
        }
        if (out.size() == mark + 1 && inPlace && !d.touched && d != root) {
            out.remove(mark);
            return false;
        }
        return true;
    }

    /** Whether {@code n} is the lower object at {@code lowerNode}: that entry, or another name of its hard-link group. */
    private boolean sameLowerObject(Node n, int lowerNode) {
        if (n.lower == lowerNode) {
            return true;
        }
        int group = lowerNode >= 0 && n.lower >= 0 ? lowerManifest.linkGroup(lowerNode) : 0;
        return group != 0 && group == lowerManifest.linkGroup(n.lower);
    }

    /** Whether the lower view has an entry at this path (for "added" versus "modified"). */
    public boolean inLower(String path) {
        return path.isEmpty() || lowerManifest.find(path) != Manifest.NOT_FOUND;
    }

    /** The lower entry of an unchanged lower object (for a commit, which reuses its blob). */
    public int lowerNodeOf(Node n) {
        return n.lower;
    }

    public long mtime(Node n) throws FsException {
        return attributes(n).mtimeNanos();
    }

    // ---- helpers ----

    private void changed(Node dir, long time) {
        dir.mtime = dir.ctime = time;
        dir.touched = true;
    }

    private void check(Node n, Permissions.Credentials who, int mask, String what) throws FsException {
        if (!Permissions.allows(n.typedMode(), n.uid, n.gid, who, mask)) {
            throw new FsException(Errno.EACCES, "permission denied: " + what + " " + describe(n));
        }
    }

    /** In a sticky directory only the owner of an entry, the directory's owner or root may remove or rename it. */
    private void checkSticky(Node dir, Node n, Permissions.Credentials who) throws FsException {
        if ((dir.mode & S_ISVTX) != 0 && who.uid() != 0 && who.uid() != dir.uid && who.uid() != n.uid) {
            throw new FsException(Errno.EPERM, "the sticky directory " + describe(dir) + " protects entries of other users");
        }
    }

    private void requireDirectory(Node n) throws FsException {
        if (!n.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, describe(n) + " is not a directory");
        }
        if (n != root && n.parent == null) {
            throw new FsException(Errno.ENOENT, "the directory was removed");
        }
    }

    private static void checkName(byte[] name) throws FsException {
        if (name.length > View.NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "a name has at most " + View.NAME_MAX + " bytes, not " + name.length);
        }
        if (name.length == 0) {
            throw new FsException(Errno.ENOENT, "empty name");
        }
    }

    private static void checkNewName(Node dir, byte[] name) throws FsException {
        checkName(name);
        if (isDot(name) || isDotDot(name)) {
            throw new FsException(Errno.EEXIST, "'" + printable(name) + "' exists in every directory");
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new FsException(Errno.EINVAL, "a name cannot hold '/' or NUL");
            }
        }
    }

    private static boolean isDot(byte[] name) {
        return name.length == 1 && name[0] == '.';
    }

    private static boolean isDotDot(byte[] name) {
        return name.length == 2 && name[0] == '.' && name[1] == '.';
    }

    private static EntryKind kindOf(int typeBits) {
        for (EntryKind k : EntryKind.values()) {
            if (k != EntryKind.WHITEOUT && k.typeBits() == typeBits) {
                return k;
            }
        }
        return null;
    }

    private static String join(String path, byte[] name) {
        String n = Names.string(name);
        return path.isEmpty() ? n : path + "/" + n;
    }

    /** A directory's path from the root, without a leading slash ("" for the root). */
    public String path(Node dir) {
        StringBuilder path = new StringBuilder();
        for (Node d = dir; d != null && d != root; d = d.parent) {
            path.insert(0, path.length() == 0 ? "" : "/").insert(0, Names.string(d.name));
        }
        return path.toString();
    }

    /** The path of a directory, or the name of anything else, for messages. */
    public String describe(Node n) {
        if (n.isDirectory()) {
            StringBuilder path = new StringBuilder();
            for (Node d = n; d != null && d != root; d = d.parent) {
                path.insert(0, "/" + printable(d.name));
            }
            return "'" + (path.length() == 0 ? "/" : path) + "'";
        }
        return n.lower >= 0 ? "'/" + lowerManifest.path(n.lower) + "'" : "object " + n.id;
    }

    private static String printable(byte[] name) {
        String s = Names.printable(name);
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }

    private static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static boolean noSpace(IOException e) {
        return String.valueOf(e.getMessage()).contains("No space left");
    }

    private static boolean tooLarge(IOException e) {
        return String.valueOf(e.getMessage()).contains("File too large");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (NoSuchFileException ignored) {
            // gone already
        } catch (IOException ignored) {
            // a stray data file is removed at the next open
        }
    }
}
