package dev.strata.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Files named by the SHA-256 of their content, under {@code root/ab/cdef...}. Content is written to a
 * temp file in the repository's own work directory while it is hashed, fsynced, made read-only and
 * renamed into place, so a reader never sees a partial file. Storing what exists already is a no-op.
 */
public final class ContentStore {
    private static final Set<PosixFilePermission> READ_ONLY = Set.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
    private static final int BUFFER = 1 << 16;

    private final Path root;
    private final Path tmp;
    private volatile Fetcher fetcher;

    /** Brings missing content from elsewhere (read-through from a remote); throws when it cannot. */
    public interface Fetcher {
        void fetchBlob(Digest d);
    }

    /** What a put did: the digest, and whether the content was already there. */
    public record Stored(Digest digest, long size, boolean existed) {
    }

    ContentStore(Path root, Path tmp) {
        this.root = root;
        this.tmp = tmp;
    }

    public Path root() {
        return root;
    }

    public Path path(Digest d) {
        String hex = d.hex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2));
    }

    /** From now on {@link #local} fetches missing content with {@code fetcher}. */
    public void fetchMissingWith(Fetcher fetcher) {
        this.fetcher = fetcher;
    }

    /**
     * The path of content that is here, fetched first when it is not and a fetcher is set (so the
     * caller may wait for a download); {@link UnknownRefException} when it is neither.
     */
    public Path local(Digest d) {
        Path p = path(d);
        if (Files.exists(p)) {
            return p;
        }
        Fetcher f = fetcher;
        if (f == null) {
            throw new UnknownRefException("blob " + d + " is missing from " + root);
        }
        f.fetchBlob(d);
        return p;
    }

    /** True when missing content can be fetched (read-through is on). */
    public boolean fetches() {
        return fetcher != null;
    }

    public boolean contains(Digest d) {
        return Files.exists(path(d));
    }

    public Stored put(byte[] content) {
        return put(new java.io.ByteArrayInputStream(content));
    }

    /** Copies the stream into the store, hashing on the way. */
    public Stored put(InputStream content) {
        return put(content, null);
    }

    /**
     * Copies content received from elsewhere into the store: it becomes visible only when it hashes to
     * {@code expected}; otherwise it is dropped and {@link CorruptObjectException} says so.
     */
    public Stored putExpecting(Digest expected, InputStream content) {
        return put(content, expected);
    }

    private Stored put(InputStream content, Digest expected) {
        Path temp = null;
        try {
            temp = AtomicFiles.tempFile(tmp);
            MessageDigest hasher = Digest.newHasher();
            long size = 0;
            Digest digest;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = content.read(buf)) > 0; ) {
                    hasher.update(buf, 0, n);
                    ByteBuffer chunk = ByteBuffer.wrap(buf, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    size += n;
                }
                digest = Digest.of(hasher.digest());
                if (expected != null && !expected.equals(digest)) {
                    throw new CorruptObjectException(expected, "its content hashes to " + digest.shortHex() + ", so it was refused");
                }
                if (!Files.exists(path(digest))) {
                    out.force(true); // only new content needs to reach the disk before its rename
                }
            }
            Stored stored = publish(temp, digest, size);
            temp = null;
            return stored;
        } catch (IOException e) {
            throw new RepositoryException("storing content in " + root + " failed: " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteQuietly(temp);
        }
    }

    /** Copies a file into the store. */
    public Stored putFile(Path source) {
        try (InputStream in = Files.newInputStream(source)) {
            return put(in);
        } catch (IOException e) {
            throw new RepositoryException("reading " + source + " failed: " + e.getMessage(), e);
        }
    }

    private Stored publish(Path temp, Digest digest, long size) throws IOException {
        Path target = path(digest);
        if (Files.exists(target)) {
            Files.delete(temp);
            return new Stored(digest, size, true);
        }
        Files.setPosixFilePermissions(temp, READ_ONLY);
        Files.createDirectories(target.getParent());
        try {
            // ATOMIC_MOVE is rename(2): a concurrent writer of the same content just replaces
            // identical bytes.
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.delete(temp);
            return new Stored(digest, size, true);
        }
        AtomicFiles.fsyncDirectory(target.getParent());
        return new Stored(digest, size, false);
    }

    public byte[] read(Digest d) {
        try {
            return Files.readAllBytes(path(d));
        } catch (NoSuchFileException e) {
            throw new UnknownRefException("no object " + d + " in " + root);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path(d) + " failed", e);
        }
    }

    /** Re-hashes stored content; true when it still matches its name. */
    public boolean verify(Digest d) throws IOException {
        MessageDigest hasher = Digest.newHasher();
        try (InputStream in = Files.newInputStream(path(d))) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                hasher.update(buf, 0, n);
            }
        }
        return Digest.of(hasher.digest()).equals(d);
    }

    public boolean delete(Digest d) {
        try {
            return Files.deleteIfExists(path(d));
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + path(d) + " failed", e);
        }
    }

    /** Every digest in the store; files whose names are not digests are reported to {@code stray}. */
    public List<Digest> list(Consumer<Path> stray) {
        List<Digest> all = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return all;
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path f : files) {
                        String hex = shard.getFileName().toString() + f.getFileName();
                        if (Digest.isFullHex(hex) && hex.equals(hex.toLowerCase())) {
                            all.add(Digest.parse(hex));
                        } else {
                            stray.accept(f);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + root + " failed", e);
        }
        return all;
    }

    /** Digests starting with a hex prefix (the first two digits name the shard, so this reads one directory). */
    public List<Digest> withPrefix(String prefix) {
        List<Digest> found = new ArrayList<>();
        String lower = prefix.toLowerCase();
        Path shard = root.resolve(lower.substring(0, 2));
        if (!Files.isDirectory(shard)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard, lower.substring(2) + "*")) {
            for (Path f : files) {
                String hex = lower.substring(0, 2) + f.getFileName();
                if (Digest.isFullHex(hex)) {
                    found.add(Digest.parse(hex));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + shard + " failed", e);
        }
        return found;
    }
}
