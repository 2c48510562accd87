package dev.strata.persistence;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazy read-through from remotes, for the daemon: a ref that only a remote has is copied without its
 * blobs when a runtime starts ({@link #fetchRef}), and a blob is fetched when a file is first opened
 * ({@link #fetchBlob}), into the local store, verified, then served like any other. Concurrent opens
 * of one missing blob share one download. Remotes are asked in order; the first that has it serves.
 */
public final class ReadThrough implements ContentStore.Fetcher {
    private static final Logger log = LoggerFactory.getLogger(ReadThrough.class);
    private static final long BLOB_PATIENCE_SECONDS = 600;

    private final LocalStore local;
    private final List<Store> remotes;
    private final ConcurrentHashMap<Digest, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService downloads;
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /** What read-through cost so far. */
    public record Counts(long fetches, long bytes, long failures) {
    }

    public ReadThrough(Repository repo, List<Store> remotes, int parallelDownloads) {
        this.local = new LocalStore(repo, "this repository");
        this.remotes = List.copyOf(remotes);
        this.downloads = Executors.newFixedThreadPool(parallelDownloads, r -> {
            Thread t = new Thread(r, "strata-read-through");
            t.setDaemon(true);
            return t;
        });
    }

    /** Makes this read-through the repository's: refs it lacks and blobs missing from it come from the remotes. */
    public ReadThrough install() {
        local.repository().blobs().fetchMissingWith(this);
        local.repository().readThrough(this);
        return this;
    }

    public Counts counts() {
        return new Counts(fetches.get(), bytes.get(), failures.get());
    }

    public List<String> remoteNames() {
        return remotes.stream().map(Store::describe).toList();
    }

    /**
     * Copies {@code ref}'s objects (not its blobs) from the first remote that knows it, with its tag;
     * false when no remote does. Errors of an unreachable remote are thrown: the user should know why.
     */
    public boolean fetchRef(EnvSpec.Ref ref) {
        RepositoryException unreachable = null;
        for (Store remote : remotes) {
            try {
                boolean tag = TagStore.isValidName(ref.name()) && !remote.tagHistory(ref.name()).isEmpty();
                if (!tag && !(Digest.isFullHex(ref.name()) && remote.hasObject(Digest.parse(ref.name())))) {
                    continue;
                }
                // a tag comes whole, with its history, so that tag~N resolves here as it does there
                Sync.Result r = new Sync(remote, local, Sync.Policy.MISSING_ONLY, 4, 0, new Sync.Listener() { })
                        .withoutBlobs().sync(List.of(tag ? ref.name() : ref.text()));
                log.info("read-through: {} from {} ({} objects)", ref.text(), remote.describe(), r.objects());
                return true;
            } catch (UnknownRefException e) {
                // this remote does not have it after all
            } catch (RepositoryException e) {
                log.warn("read-through of {} from {} failed: {}", ref.text(), remote.describe(), e.getMessage());
                unreachable = e;
            }
        }
        if (unreachable != null) {
            throw unreachable;
        }
        return false;
    }

    /** Brings blob {@code d} into the local store; one download however many ask at once. */
    @Override
    public void fetchBlob(Digest d) {
        if (local.hasBlob(d)) {
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = inFlight.putIfAbsent(d, mine);
        if (running == null) {
            running = mine;
            downloads.execute(() -> {
                try {
                    download(d);
                    mine.complete(null);
                } catch (RuntimeException e) {
                    mine.completeExceptionally(e);
                } finally {
                    inFlight.remove(d, mine);
                }
            });
        }
        try {
            running.get(BLOB_PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RepositoryException re ? re : new RepositoryException(String.valueOf(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new RepositoryException("blob " + d.shortHex() + " did not arrive within " + BLOB_PATIENCE_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException("interrupted while fetching blob " + d.shortHex(), e);
        }
    }

    private void download(Digest d) {
        if (local.hasBlob(d)) {
            return;
        }
        RuntimeException last = null;
        for (Store remote : remotes) {
            try {
                if (!remote.hasBlob(d)) {
                    continue;
                }
                try (java.io.InputStream in = remote.blob(d, 0)) {
                    bytes.addAndGet(local.repository().blobs().putExpecting(d, in).size());
                }
                fetches.incrementAndGet();
                return;
            } catch (CorruptObjectException e) {
                last = e.receivedFrom("blob", d, remote.describe());
            } catch (RuntimeException | java.io.IOException e) {
                last = new RepositoryException("fetching blob " + d + " from " + remote.describe() + " failed: " + e.getMessage(), e);
            }
        }
        failures.incrementAndGet();
        RepositoryException failed = last instanceof RepositoryException re ? re
                : new RepositoryException("no remote has blob " + d + " (asked " + String.join(", ", remoteNames()) + ")", last);
        log.error("read-through: {}", failed.getMessage()); // the one line an admin reads
        throw failed;
    }

    public void close() {
        downloads.shutdownNow();
        remotes.forEach(Store::close);
    }
}
