package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Materializes a merged view (a manifest without whiteouts) as a real directory tree. The tree is
 * built next to the target and renamed into place at the end, so a failed render leaves nothing
 * half-written behind.
 */
public final class Renderer {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /** How file content reaches the rendered tree. */
    public enum Mode {
        /** Independent files: reflinks where the file system can, in-kernel copies otherwise. */
        COPY,
        /** Hard links into the blob store: fast, read-only, and file metadata is the blob's. */
        LINK
    }

    private final ContentStore blobs;

    public Renderer(Repository repo) {
        this.blobs = repo.blobs();
    }

    public void render(Manifest view, Path target, Mode mode) {
        Path absolute = target.toAbsolutePath().normalize();
        checkTarget(absolute);
        Path staging;
        try {
            Files.createDirectories(absolute.getParent());
            staging = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".rendering-");
        } catch (IOException e) {
            throw new RepositoryException("cannot render into " + target + ": " + e.getMessage(), e);
        }
        try {
            renderInto(view, staging, mode);
            Files.move(staging, absolute, StandardCopyOption.ATOMIC_MOVE);
            staging = null;
        } catch (IOException e) {
            throw new RepositoryException("rendering into " + target + " failed: " + e.getMessage(), e);
        } finally {
            if (staging != null) {
                deleteTree(staging);
            }
        }
    }

    private static void checkTarget(Path target) {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new RepositoryException("cannot render into " + target + ": it exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) {
                throw new RepositoryException("cannot render into " + target + ": the directory is not empty");
            }
        } catch (IOException e) {
            throw new RepositoryException("cannot render into " + target + ": " + e.getMessage(), e);
        }
    }

    private void renderInto(Manifest m, Path root, Mode mode) throws IOException {
        Path[] paths = new Path[m.count()];
        paths[Manifest.ROOT] = root;
        Map<Integer, Path> firstOfGroup = new HashMap<>();
        for (int n = 1; n < m.count(); n++) {
            Path p = NativeFs.child(paths[m.parent(n)], m.name(n));
            paths[n] = p;
            switch (m.kind(n)) {
                case DIRECTORY -> Files.createDirectory(p);
                case FILE -> {
                    Path first = m.linkGroup(n) == 0 ? null : firstOfGroup.putIfAbsent(m.linkGroup(n), p);
                    if (first != null) {
                        Files.createLink(p, first);
                        continue;
                    }
                    if (mode == Mode.LINK) {
                        linkBlob(m, n, p);
                        continue;
                    }
                    NativeFs.cloneOrCopy(blobs.path(m.blob(n)), p);
                }
                case SYMLINK -> NativeFs.symlink(m.symlinkTarget(n), p);
                case FIFO, SOCKET -> NativeFs.mknod(p, m.kind(n).typeBits() | m.mode(n), 0);
                case CHAR_DEVICE, BLOCK_DEVICE -> NativeFs.mknod(p, m.kind(n).typeBits() | m.mode(n), m.rdev(n));
                default -> throw new RepositoryException("a merged view has no " + m.kind(n) + " entries: " + m.path(n));
            }
            if (!m.isDirectory(n)) {
                applyMetadata(m, n, p);
            }
        }
        // Directories last and deepest first: writing children changes a directory's mtime, and a
        // read-only directory would refuse them.
        for (int n = m.count() - 1; n >= 0; n--) {
            if (m.isDirectory(n)) {
                applyMetadata(m, n, paths[n]);
            }
        }
    }

    private void linkBlob(Manifest m, int n, Path p) throws IOException {
        Path blob = blobs.path(m.blob(n));
        if ((m.mode(n) & 0111) != 0) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(blob);
            if (!perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                Files.setPosixFilePermissions(blob, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_EXECUTE,
                        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
            }
        }
        Files.createLink(p, blob);
    }

    /** xattrs, owner, mode, then times: chown clears setuid bits, and every change touches ctime only. */
    private static void applyMetadata(Manifest m, int n, Path p) throws IOException {
        boolean symlink = m.kind(n) == EntryKind.SYMLINK;
        for (Map.Entry<String, byte[]> x : m.xattrs(n).entrySet()) {
            NativeFs.setXattr(p, x.getKey(), x.getValue());
        }
        if (ROOT) {
            NativeFs.lchown(p, m.uid(n), m.gid(n));
        }
        if (!symlink) {
            NativeFs.chmod(p, m.mode(n));
        }
        NativeFs.setTimes(p, m.mtimeNanos(n), m.mtimeNanos(n));
    }

    /** Removes a tree, making directories writable first; used for staging leftovers. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        p.toFile().setWritable(true, true);
                    }
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException e) {
                    throw new UncheckedIOException("removing " + p + " failed", e);
                } catch (IOException e) {
                    throw new UncheckedIOException("removing " + p + " failed", e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + root + " failed", e);
        }
    }
}
