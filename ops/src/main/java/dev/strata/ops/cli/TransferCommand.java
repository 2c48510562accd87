package dev.strata.ops.cli;

import dev.strata.ops.remote.Remote;
import dev.strata.ops.remote.Remotes;
import dev.strata.persistence.LocalStore;
import dev.strata.persistence.Store;
import dev.strata.persistence.Sync;
import dev.strata.persistence.TagStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code push} and {@code pull}: the closure of what REFS reach, between this home's repository and a
 * remote. What the other side has is skipped; a rerun after an interruption moves only what is missing.
 */
abstract class TransferCommand implements Runnable {
    private static final int REFS_MAX = 256;

    @ParentCommand
    StrataCommand strata;

    @Parameters(arity = "1..*", paramLabel = "REFS", description = "Tags, tag~N, digests; a stack a+b is its refs.")
    List<String> refs;

    @Option(names = "--remote", paramLabel = "NAME", description = "The remote (default: 'origin', or the only one configured).")
    String remoteName;

    @Option(names = "--latest-tags", description = "Move a tag the other side has to this side's newest target.")
    boolean latestTags;

    @Option(names = "--resync", description = "Walk everything again, trusting nothing the other side has, and merge whole tag histories.")
    boolean resync;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", defaultValue = "8", description = "Parallel blob transfers (default ${DEFAULT-VALUE}).")
    int jobs;

    /** True: this repository to the remote. */
    abstract boolean outgoing();

    @Override
    public void run() {
        if (refs.size() > REFS_MAX) {
            throw new UsageException("at most " + REFS_MAX + " refs per call, not " + refs.size());
        }
        if (latestTags && resync) {
            throw new UsageException("--latest-tags and --resync are different policies: choose one");
        }
        Remote remote = remote();
        Sync.Policy policy = resync ? Sync.Policy.RESYNC : latestTags ? Sync.Policy.LATEST_TAGS : Sync.Policy.MISSING_ONLY;
        long started = System.nanoTime();
        Sync.Result r;
        try (Store local = new LocalStore(strata.home().repository(), "this repository");
             Store other = Remotes.open(remote, strata.env);
             Bar bar = new Bar(strata, outgoing() ? "push" : "pull")) {
            Sync sync = outgoing() ? new Sync(local, other, policy, jobs, TagStore.processUid(), bar)
                    : new Sync(other, local, policy, jobs, TagStore.processUid(), bar);
            r = sync.sync(refs);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        strata.err.printf("strata: %s %s: %s, %s, %s in %.1f s%s%n", outgoing() ? "pushed to" : "pulled from", remote.name(),
                Format.count(r.objects(), "object"), Format.count(r.blobs(), "blob"), Format.bytes(r.bytes()), seconds,
                r.tagEntries() > 0 ? ", " + Format.count(r.tagEntries(), "tag entry") : "");
        for (String kept : r.tagsKept()) {
            strata.err.println("strata: tag " + kept + " exists on the " + (outgoing() ? "remote" : "local side") + " and was left where it is"
                    + " (--latest-tags moves it)");
        }
    }

    private Remote remote() {
        Map<String, Remote> remotes = strata.config().remotes();
        if (remoteName != null) {
            Remote.checkName(remoteName);
            Remote r = remotes.get(remoteName);
            if (r == null) {
                throw new IllegalArgumentException("no remote '" + remoteName + "'" + (remotes.isEmpty() ? " (none is configured: strata remote add NAME URL)"
                        : "; configured: " + String.join(", ", remotes.keySet())));
            }
            return r;
        }
        if (remotes.containsKey("origin")) {
            return remotes.get("origin");
        }
        if (remotes.size() == 1) {
            return remotes.values().iterator().next();
        }
        throw new UsageException(remotes.isEmpty() ? "no remote is configured: strata remote add NAME URL"
                : "which remote? --remote NAME, one of " + String.join(", ", remotes.keySet()));
    }

    /** Objects and bytes, rate and ETA, on a terminal; nothing in a pipe. */
    private static final class Bar implements Sync.Listener, AutoCloseable {
        private final StrataCommand strata;
        private final String task;
        private final AtomicLong items = new AtomicLong();
        private long itemsTotal;
        private ProgressBar bar;

        Bar(StrataCommand strata, String task) {
            this.strata = strata;
            this.task = task;
        }

        @Override
        public synchronized void planned(long items, long bytes) {
            itemsTotal = items;
            if (strata.interactive() && items > 0) {
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(bytes).setUnit("MiB", 1 << 20).showSpeed()
                        .setUpdateIntervalMillis(200).setConsumer(strata.progressConsumer()).build();
            }
        }

        @Override
        public void transferred(long n, long bytes) {
            long done = items.addAndGet(n);
            ProgressBar b = bar;
            if (b != null) {
                b.stepBy(bytes);
                b.setExtraMessage(" " + done + "/" + itemsTotal + " objects");
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }

    @Command(name = "push", description = "Copy what REFS reach, and their tags, to a remote.")
    static final class Push extends TransferCommand {
        @Override
        boolean outgoing() {
            return true;
        }
    }

    @Command(name = "pull", description = "Copy what REFS reach on a remote, and their tags, into this repository.")
    static final class Pull extends TransferCommand {
        @Override
        boolean outgoing() {
            return false;
        }
    }
}
