package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Turns a directory into a layer. The tree is walked once (so the total is known for progress),
 * file contents are hashed into the blob store in parallel, then the manifest and layer objects are
 * written. All of it happens under the repository's write lock, so a concurrent clean cannot remove
 * a blob between its write and the tag that makes it reachable.
 *
 * <p>Whiteouts can be imported in the two usual spellings: an OCI {@code .wh.NAME} file or an
 * overlayfs 0/0 character device; {@code .wh..wh..opq} or the xattr {@code trusted.overlay.opaque=y}
 * marks a directory opaque.
 */
public final class Importer {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

    private final Repository repo;
    private final int threads;

    /** Told what the import does, for a progress bar or a log. */
    public interface Listener {
        default void scanned(long files, long bytes) {
        }

        default void hashed(long bytes) {
        }

        default void skipped(Path path, String why) {
        }
    }

    /** What an import produced. */
    public record Result(Digest layer, Digest manifest, int entries, long files, long bytes, long newBlobs) {
    }

    public Importer(Repository repo) {
        this(repo, Math.max(4, 2 * java.lang.Runtime.getRuntime().availableProcessors()));
    }

    public Importer(Repository repo, int threads) {
        this.repo = repo;
        this.threads = threads;
    }

    /** Imports {@code dir} as a layer and, when {@code tag} is not null, points the tag at it. */
    public Result importDirectory(Path dir, String tag, Map<String, String> annotations, Listener listener) {
        if (tag != null) {
            TagStore.checkName(tag);
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new RepositoryException("cannot import " + dir + ": no such file or directory");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new RepositoryException("cannot import " + dir + ": not a directory");
        }
        try (RepositoryLock.Held held = repo.writing()) {
            Scan scan = scan(dir, listener);
            listener.scanned(scan.files, scan.bytes);
            Map<Path, Digest> digests = hashAll(scan.contentSources, listener);
            TreeBuilder tree = new TreeBuilder(scan.root);
            long newBlobs = digests.values().stream().filter(d -> d == null).count();
            for (Scanned s : scan.entries) {
                Entry e = s.entry;
                if (e.kind() == EntryKind.FILE) {
                    e = Entry.file(e.mode(), e.uid(), e.gid(), e.mtimeNanos(), e.size(), scan.blobOf(s, digests))
                            .withLinkGroup(e.linkGroup()).withXattrs(e.xattrs());
                }
                if (scan.opaqueDirs.contains(s.path)) {
                    e = e.withOpaque(true);
                }
                tree.put(s.path, e);
            }
            Manifest manifest = tree.build();
            Digest manifestDigest = repo.write(new ManifestObject(manifest));
            Digest layer = repo.write(new Layer(manifestDigest, new TreeMap<>(annotations)));
            if (tag != null) {
                repo.tags().set(tag, layer);
            }
            return new Result(layer, manifestDigest, manifest.count() - 1, scan.files, scan.bytes, newBlobs);
        }
    }

    private Map<Path, Digest> hashAll(List<Path> sources, Listener listener) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "strata-import");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<Path, Future<ContentStore.Stored>> futures = new HashMap<>();
            for (Path p : sources) {
                futures.put(p, pool.submit(() -> {
                    ContentStore.Stored stored = repo.blobs().putFile(p);
                    listener.hashed(stored.size());
                    return stored;
                }));
            }
            Map<Path, Digest> out = new HashMap<>();
            for (Map.Entry<Path, Future<ContentStore.Stored>> f : futures.entrySet()) {
                out.put(f.getKey(), f.getValue().get().digest());
            }
            return out;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new RepositoryException("import failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException("import interrupted");
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code path}: below the imported directory, in {@link Names}' spelling, which keeps every byte. */
    private record Scanned(String path, Entry entry, Path source) {
    }

    /** The walked tree: entries in pre-order (parents first) and the files whose content to store. */
    private static final class Scan {
        Entry root;
        final List<Scanned> entries = new ArrayList<>();
        final List<Path> contentSources = new ArrayList<>();
        final java.util.Set<String> opaqueDirs = new java.util.HashSet<>();
        /** (dev, ino) of multiply-linked files to their link group and first path. */
        final Map<List<Long>, Integer> linkGroups = new HashMap<>();
        final Map<Integer, Path> groupSource = new HashMap<>();
        long files;
        long bytes;

        Digest blobOf(Scanned s, Map<Path, Digest> digests) {
            Path source = s.entry.linkGroup() != 0 ? groupSource.get(s.entry.linkGroup()) : s.source;
            return digests.get(source);
        }
    }

    private static Scan scan(Path top, Listener listener) {
        Scan scan = new Scan();
        Path dir = top.toAbsolutePath();
        int prefix = NativeFs.pathBytes(dir).length + 1;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    Entry e = describe(d, scan);
                    if (d.equals(dir)) {
                        scan.root = e.withOpaque(false);
                    } else {
                        add(d, e);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    String path = relative(f);
                    String name = path.substring(path.lastIndexOf('/') + 1);
                    String parent = path.substring(0, Math.max(0, path.lastIndexOf('/')));
                    if (name.equals(OPAQUE_MARKER)) {
                        scan.opaqueDirs.add(parent);
                        return FileVisitResult.CONTINUE;
                    }
                    if (name.startsWith(WHITEOUT_PREFIX) && name.length() > WHITEOUT_PREFIX.length()) {
                        String hidden = name.substring(WHITEOUT_PREFIX.length());
                        scan.entries.add(new Scanned(join(parent, hidden), Entry.whiteout(), null));
                        return FileVisitResult.CONTINUE;
                    }
                    Entry e = describe(f, scan);
                    if (e == null) {
                        listener.skipped(f, "not a kind of file a layer holds");
                        return FileVisitResult.CONTINUE;
                    }
                    add(f, e);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    throw new RepositoryException("cannot import " + f + ": " + e.getMessage(), e);
                }

                private void add(Path p, Entry e) {
                    if (e.kind() == EntryKind.FILE && (e.linkGroup() == 0 || scan.groupSource.get(e.linkGroup()).equals(p))) {
                        scan.contentSources.add(p);
                        scan.bytes += e.size();
                    }
                    if (e.kind() == EntryKind.FILE) {
                        scan.files++;
                    }
                    if (e.opaque()) {
                        scan.opaqueDirs.add(relative(p));
                    }
                    scan.entries.add(new Scanned(relative(p), e.withOpaque(false), p));
                }

                /** Names are bytes: a walk's paths hold them exactly, and toString() would not. */
                private String relative(Path p) {
                    byte[] bytes = NativeFs.pathBytes(p);
                    return bytes.length <= prefix ? "" : Names.string(bytes, prefix, bytes.length - prefix);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("walking " + dir + " failed", e);
        }
        return scan;
    }

    private static String join(String parent, String name) {
        return parent.isEmpty() ? name : parent + "/" + name;
    }

    /** Reads a path's attributes into an entry; files get a placeholder blob, filled in after hashing. */
    private static Entry describe(Path p, Scan scan) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int stMode = (Integer) a.get("mode");
        int perms = stMode & 07777;
        int uid = (Integer) a.get("uid");
        int gid = (Integer) a.get("gid");
        long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
        SortedMap<String, byte[]> xattrs = NativeFs.xattrs(p);
        boolean opaque = xattrs.containsKey(OVERLAY_OPAQUE_XATTR)
                && new String(xattrs.get(OVERLAY_OPAQUE_XATTR), StandardCharsets.UTF_8).equals("y");
        if (opaque) {
            xattrs = new TreeMap<>(xattrs);
            xattrs.remove(OVERLAY_OPAQUE_XATTR);
        }
        long rdev = (Long) a.get("rdev");
        switch (stMode & 0170000) {
            case 0040000:
                return Entry.directory(perms, uid, gid, mtime).withXattrs(xattrs).withOpaque(opaque);
            case 0100000: {
                long nlink = ((Number) a.get("nlink")).longValue();
                int group = 0;
                if (nlink > 1) {
                    List<Long> identity = List.of((Long) a.get("dev"), (Long) a.get("ino"));
                    group = scan.linkGroups.computeIfAbsent(identity, k -> scan.linkGroups.size() + 1);
                    scan.groupSource.putIfAbsent(group, p);
                }
                return new Entry(EntryKind.FILE, perms, uid, gid, mtime, (Long) a.get("size"), PLACEHOLDER, null, 0,
                        group, xattrs, false);
            }
            case 0120000:
                return Entry.symlink(NativeFs.readlink(p), uid, gid, mtime).withXattrs(xattrs);
            case 0010000:
                return new Entry(EntryKind.FIFO, perms, uid, gid, mtime, 0, null, null, 0, 0, xattrs, false);
            case 0020000:
                if (rdev == 0) {
                    return Entry.whiteout();
                }
                return new Entry(EntryKind.CHAR_DEVICE, perms, uid, gid, mtime, 0, null, null, rdev, 0, xattrs, false);
            case 0060000:
                return new Entry(EntryKind.BLOCK_DEVICE, perms, uid, gid, mtime, 0, null, null, rdev, 0, xattrs, false);
            case 0140000: // the name a bound socket leaves: kept as cp -a and rsync -a keep it, without its listener
                return new Entry(EntryKind.SOCKET, perms, uid, gid, mtime, 0, null, null, 0, 0, xattrs, false);
            default:
                return null;
        }
    }

    private static final Digest PLACEHOLDER = Digest.sha256(new byte[0]);
}
