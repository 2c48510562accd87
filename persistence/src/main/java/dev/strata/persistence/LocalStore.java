package dev.strata.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A repository on a filesystem this machine mounts, as a {@link Store}: the local one, or a
 * {@code file://} remote on a shared filesystem (NFS and the like), which is the same layout.
 */
public final class LocalStore implements Store {
    private final Repository repo;
    private final String name;

    public LocalStore(Repository repo, String name) {
        this.repo = repo;
        this.name = name;
    }

    public Repository repository() {
        return repo;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public boolean hasObject(Digest digest) {
        return repo.objects().contains(digest);
    }

    @Override
    public byte[] object(Digest digest) {
        return repo.objects().read(digest);
    }

    @Override
    public boolean hasBlob(Digest digest) {
        return repo.blobs().contains(digest);
    }

    @Override
    public InputStream blob(Digest digest, long offset) {
        try {
            FileChannel channel = FileChannel.open(repo.blobs().path(digest));
            channel.position(offset);
            return Channels.newInputStream(channel);
        } catch (NoSuchFileException e) {
            throw new UnknownRefException("no blob " + digest + " in " + name);
        } catch (IOException e) {
            throw new UncheckedIOException("reading blob " + digest.shortHex() + " of " + name + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> tagNames() {
        return repo.tags().names();
    }

    @Override
    public List<TagStore.TagEntry> tagHistory(String tag) {
        List<TagStore.TagEntry> history = new ArrayList<>(repo.tags().history(tag));
        Collections.reverse(history);
        return history;
    }

    @Override
    public boolean isPartial(Digest digest) {
        return repo.partial().isPartial(digest);
    }

    @Override
    public void markPartial(Digest digest) {
        repo.partial().mark(digest);
    }

    @Override
    public void markComplete(Digest digest) {
        repo.partial().clear(digest);
    }

    @Override
    public void putObject(Digest digest, byte[] encoded) {
        ObjectCodec.decode(digest, encoded); // only canonical objects enter a repository
        try (RepositoryLock.Held writing = repo.writing()) {
            repo.objects().putExpecting(digest, new java.io.ByteArrayInputStream(encoded));
        }
    }

    @Override
    public void putBlob(Digest digest, long size, InputStream content) {
        try (RepositoryLock.Held writing = repo.writing()) {
            ContentStore.Stored stored = repo.blobs().putExpecting(digest, content);
            if (stored.size() != size) { // a digest match with another size cannot happen; a short stream is caught by the hash
                throw new CorruptObjectException(digest, "it has " + stored.size() + " bytes, not " + size);
            }
        }
    }

    @Override
    public int mergeTag(String tag, List<TagStore.TagEntry> entries, int by) {
        return repo.tags().merge(tag, entries, by);
    }
}
