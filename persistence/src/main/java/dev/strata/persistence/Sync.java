package dev.strata.persistence;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Copies what refs reach (platforms, layers, manifests, blobs, and tags with their history) from one
 * {@link Store} to another: push and pull are the same walk in opposite directions.
 *
 * <p>Blobs go first, in parallel, each verified by the receiving store; then objects, children before
 * parents; then tags. So an object present on the destination implies everything it reaches is, a tag
 * moves only after its closure is there, and a rerun after an interruption moves only what is missing.
 */
public final class Sync {
    /** Like SPFS's sync policies. */
    public enum Policy {
        /** Copy what the destination lacks; a tag it already has stays where it is. */
        MISSING_ONLY,
        /** As MISSING_ONLY, and a tag the destination has moves to the source's newest target. */
        LATEST_TAGS,
        /** Walk every object again, trusting nothing the destination has, and merge whole tag histories. */
        RESYNC
    }

    /** Told what a sync will move, then what it moved; called from several threads. */
    public interface Listener {
        default void planned(long items, long bytes) {
        }

        default void transferred(long items, long bytes) {
        }
    }

    /** What a sync did. {@code tagsKept} are tags the destination had and the policy left alone. */
    public record Result(int objects, int blobs, long bytes, int tagEntries, List<String> tagsKept) {
    }

    private final Store from;
    private final Store to;
    private final Policy policy;
    private final int parallelism;
    private final int by;
    private final Listener listener;

    /** Objects to write, children first, and blobs to copy, each once. */
    private final Map<Digest, byte[]> objects = new LinkedHashMap<>();
    private final Map<Digest, Long> blobs = new LinkedHashMap<>();
    private final Set<Digest> visited = new LinkedHashSet<>();
    private final Set<Digest> blobsSeen = new LinkedHashSet<>();
    /** Objects the destination had only partially, walked for their blobs: complete once this sync is done. */
    private final Set<Digest> completing = new LinkedHashSet<>();
    private boolean withBlobs = true;

    public Sync(Store from, Store to, Policy policy, int parallelism, int by, Listener listener) {
        if (parallelism < 1 || parallelism > 256) {
            throw new IllegalArgumentException("parallel transfers must be 1 to 256, not " + parallelism);
        }
        this.from = from;
        this.to = to;
        this.policy = policy;
        this.parallelism = parallelism;
        this.by = by;
        this.listener = listener;
    }

    /**
     * Copies objects without their blobs, marking them partial on the destination: what a runtime
     * needs to start, before its files are read (read-through fetches each blob on first open).
     */
    public Sync withoutBlobs() {
        withBlobs = false;
        return this;
    }

    /** Syncs each ref of each spec ({@code tag}, {@code tag~N}, a digest; a stack {@code a+b} is its refs). */
    public Result sync(List<String> specs) {
        Map<String, List<TagStore.TagEntry>> tags = new LinkedHashMap<>();
        List<String> kept = new ArrayList<>();
        for (String spec : specs) {
            for (EnvSpec.Ref ref : EnvSpec.parse(spec).refs()) {
                plan(ref, tags, kept);
            }
        }
        long objectBytes = objects.values().stream().mapToLong(b -> b.length).sum();
        long blobBytes = blobs.values().stream().mapToLong(Long::longValue).sum();
        listener.planned(objects.size() + blobs.size(), objectBytes + blobBytes);
        copyBlobs();
        for (Map.Entry<Digest, byte[]> o : objects.entrySet()) {
            if (!withBlobs) {
                to.markPartial(o.getKey()); // before the object: never a moment where it looks complete
            }
            to.putObject(o.getKey(), o.getValue());
            listener.transferred(1, o.getValue().length);
        }
        completing.forEach(to::markComplete);
        int entries = 0;
        for (Map.Entry<String, List<TagStore.TagEntry>> t : tags.entrySet()) {
            entries += to.mergeTag(t.getKey(), t.getValue(), by);
        }
        return new Result(objects.size(), blobs.size(), objectBytes + blobBytes, entries, kept);
    }

    private void plan(EnvSpec.Ref ref, Map<String, List<TagStore.TagEntry>> tags, List<String> kept) {
        List<TagStore.TagEntry> history = TagStore.isValidName(ref.name()) ? from.tagHistory(ref.name()) : List.of();
        if (!history.isEmpty()) {
            if (ref.back() > 0) { // an old target is copied as an object; the tag stays where it is
                if (ref.back() >= history.size()) {
                    throw new UnknownRefException("tag '" + ref.name() + "' of " + from.describe() + " has " + history.size()
                            + " entries in its history, so " + ref.text() + " does not exist");
                }
                visit(history.get(history.size() - 1 - ref.back()).target());
                return;
            }
            List<TagStore.TagEntry> theirs = to.tagHistory(ref.name());
            if (!theirs.isEmpty() && policy == Policy.MISSING_ONLY) {
                if (!theirs.get(theirs.size() - 1).target().equals(history.get(history.size() - 1).target())) {
                    kept.add(ref.name()); // the other side's tag points elsewhere, and stays so
                }
                visit(history.get(history.size() - 1).target());
                return;
            }
            List<TagStore.TagEntry> moving = policy == Policy.LATEST_TAGS ? List.of(history.get(history.size() - 1)) : history;
            for (TagStore.TagEntry e : moving) {
                visit(e.target());
            }
            tags.merge(ref.name(), moving, (a, b) -> a);
            return;
        }
        if (ref.back() > 0) {
            throw new UnknownRefException("unknown tag '" + ref.name() + "' on " + from.describe());
        }
        visit(resolveDigest(ref));
    }

    private Digest resolveDigest(EnvSpec.Ref ref) {
        if (Digest.isFullHex(ref.name())) {
            Digest d = Digest.parse(ref.name());
            if (!from.hasObject(d)) {
                throw new UnknownRefException("unknown ref '" + ref.text() + "': " + from.describe() + " has no such tag or object");
            }
            return d;
        }
        if (from instanceof LocalStore local && ref.mayBeDigest()) {
            return local.repository().resolve(ref);
        }
        throw new UnknownRefException("unknown ref '" + ref.text() + "': " + from.describe()
                + " has no such tag" + (Digest.isHex(ref.name()) ? " (name a remote object by its full digest)" : ""));
    }

    /** Plans an object and what it reaches, children first; stops where the destination already has it. */
    private void visit(Digest digest) {
        if (!visited.add(digest)) {
            return;
        }
        boolean present = to.hasObject(digest);
        boolean partial = present && withBlobs && to.isPartial(digest);
        if (policy != Policy.RESYNC && present && !partial) {
            return;
        }
        byte[] encoded = from.object(digest);
        if (!Digest.sha256(encoded).equals(digest)) {
            throw new CorruptObjectException(digest, "its content hashes to " + Digest.sha256(encoded).shortHex())
                    .receivedFrom("object", digest, from.describe());
        }
        RepoObject object = ObjectCodec.decode(digest, encoded);
        if (object instanceof Platform p) {
            p.layers().forEach(this::visit);
        } else if (object instanceof Layer l) {
            visit(l.manifest());
        } else if (object instanceof ManifestObject m && withBlobs) {
            planBlobs(m.manifest());
        }
        if (present) {
            if (partial) {
                completing.add(digest);
            }
            return; // walked for what it reaches; nothing of its own to copy
        }
        objects.put(digest, encoded);
    }

    private void planBlobs(Manifest manifest) {
        Map<Digest, Long> candidates = new LinkedHashMap<>();
        for (int node = 0; node < manifest.count(); node++) {
            if (manifest.kind(node) == EntryKind.FILE && blobsSeen.add(manifest.blob(node))) {
                candidates.put(manifest.blob(node), manifest.size(node));
            }
        }
        for (Digest missing : to.missingBlobs(candidates.keySet())) {
            blobs.put(missing, candidates.get(missing));
        }
    }

    private void copyBlobs() {
        if (blobs.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, blobs.size()), r -> {
            Thread t = new Thread(r, "strata-transfer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            // small blobs travel in batches (one request each for a remote), big ones alone
            List<Digest> batch = new ArrayList<>();
            long batchBytes = 0;
            for (Map.Entry<Digest, Long> b : blobs.entrySet()) {
                if (b.getValue() >= BATCH_BYTES) {
                    running.add(pool.submit(() -> copyBlob(b.getKey(), b.getValue())));
                    continue;
                }
                batch.add(b.getKey());
                batchBytes += b.getValue();
                if (batch.size() == BATCH_BLOBS || batchBytes >= BATCH_BYTES) {
                    List<Digest> full = List.copyOf(batch);
                    running.add(pool.submit(() -> copyBatch(full)));
                    batch.clear();
                    batchBytes = 0;
                }
            }
            if (!batch.isEmpty()) {
                List<Digest> rest = List.copyOf(batch);
                running.add(pool.submit(() -> copyBatch(rest)));
            }
            RuntimeException first = null;
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof RuntimeException re ? re : new RepositoryException(e.getCause().getMessage(), e.getCause());
                        running.forEach(other -> other.cancel(true)); // stop soon; what arrived stays for a rerun
                    }
                } catch (java.util.concurrent.CancellationException ignored) {
                    // cancelled after the first failure
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RepositoryException("the transfer was interrupted", e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdownNow();
            // a transfer cancelled mid-blob removes its temp file as it stops: wait for that, or a caller
            // that exits at once on the error leaves the temp file behind
            try {
                pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS); // one still stuck after that: clean removes its temp file
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final int BATCH_BLOBS = 64;
    private static final long BATCH_BYTES = 4L << 20;

    private void copyBatch(List<Digest> batch) {
        try {
            to.putBlobs(batch, blobs::get, (digests, sink) -> from.blobs(digests, (digest, content) -> {
                try (InputStream in = new CountingStream(content, n -> listener.transferred(0, n))) {
                    sink.accept(digest, in);
                } catch (CorruptObjectException e) {
                    throw e.receivedFrom("blob", digest, from.describe());
                }
                listener.transferred(1, 0);
            }));
        } catch (java.io.IOException e) {
            throw new RepositoryException("reading blobs from " + from.describe() + " failed: " + e.getMessage(), e);
        }
    }

    private void copyBlob(Digest digest, long size) {
        try (InputStream in = new CountingStream(from.blob(digest, 0), n -> listener.transferred(0, n))) {
            to.putBlob(digest, size, in);
        } catch (CorruptObjectException e) {
            throw e.receivedFrom("blob", digest, from.describe());
        } catch (java.io.IOException e) {
            throw new RepositoryException("reading blob " + digest.shortHex() + " from " + from.describe() + " failed: " + e.getMessage(), e);
        }
        listener.transferred(1, 0);
    }
}
