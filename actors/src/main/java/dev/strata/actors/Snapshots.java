package dev.strata.actors;

import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The snapshots of a daemon, one {@link Snapshot} actor each, found again on disk when the daemon
 * starts (with the branches, durable runtimes whose record names a snapshot).
 */
public final class Snapshots extends AbstractBehavior<Snapshots.Command> {
    public sealed interface Command permits Add, Find, ListAll, Delete, BranchAdded, BranchRemoved, Listed, Removed {
    }

    /** A snapshot just written to disk. */
    public record Add(SnapshotRecord record, ActorRef<StatusReply<Snapshot.Info>> replyTo) implements Command {
    }

    public record Find(String name, ActorRef<StatusReply<Snapshot.Info>> replyTo) implements Command {
    }

    public record ListAll(ActorRef<List<Snapshot.Info>> replyTo) implements Command {
    }

    public record Delete(String name, ActorRef<StatusReply<Snapshot.Info>> replyTo) implements Command {
    }

    public record BranchAdded(String snapshot, String branch) implements Command {
    }

    public record BranchRemoved(String snapshot, String branch) implements Command {
    }

    private record Listed(List<Snapshot.Info> infos, ActorRef<List<Snapshot.Info>> replyTo) implements Command {
    }

    private record Removed(String name, ActorRef<Snapshot.Command> snapshot) implements Command {
    }

    private final Path dir;
    private final Map<String, ActorRef<Snapshot.Command>> snapshots = new HashMap<>();
    private long incarnations;

    public static Behavior<Command> create(Path snapshotsDir, Path runtimesDir) {
        return Behaviors.setup(ctx -> new Snapshots(ctx, snapshotsDir, runtimesDir));
    }

    private Snapshots(ActorContext<Command> ctx, Path dir, Path runtimesDir) throws IOException {
        super(ctx);
        this.dir = dir;
        Map<String, Set<String>> branches = new HashMap<>();
        for (RuntimeRecord r : RuntimeRecord.readAll(runtimesDir)) {
            if (r.isBranch()) {
                branches.computeIfAbsent(r.snapshot(), k -> new HashSet<>()).add(r.name());
            }
        }
        for (SnapshotRecord s : SnapshotRecord.readAll(dir)) {
            spawn(s, branches.getOrDefault(s.name(), Set.of()));
        }
    }

    private ActorRef<Snapshot.Command> spawn(SnapshotRecord record, Set<String> branches) {
        ActorRef<Snapshot.Command> ref = getContext().spawn(Snapshot.create(record, dir.resolve(record.name()), branches),
                "snapshot-" + record.name() + "-" + (++incarnations), // a deleted one keeps its name until terminated
                DispatcherSelector.fromConfig("strata.blocking-dispatcher")); // deleting a snapshot removes a directory
        getContext().watchWith(ref, new Removed(record.name(), ref));
        snapshots.put(record.name(), ref);
        return ref;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Add.class, this::onAdd)
                .onMessage(Find.class, this::onFind)
                .onMessage(ListAll.class, this::onList)
                .onMessage(Listed.class, l -> {
                    l.replyTo().tell(l.infos().stream().sorted(java.util.Comparator.comparing(i -> i.record().name())).toList());
                    return this;
                })
                .onMessage(Delete.class, this::onDelete)
                .onMessage(BranchAdded.class, b -> {
                    ActorRef<Snapshot.Command> s = snapshots.get(b.snapshot());
                    if (s != null) {
                        s.tell(new Snapshot.AddBranch(b.branch()));
                    }
                    return this;
                })
                .onMessage(BranchRemoved.class, b -> {
                    ActorRef<Snapshot.Command> s = snapshots.get(b.snapshot());
                    if (s != null) {
                        s.tell(new Snapshot.RemoveBranch(b.branch()));
                    }
                    return this;
                })
                .onMessage(Removed.class, r -> {
                    snapshots.remove(r.name(), r.snapshot()); // not a new snapshot of the same name
                    return this;
                })
                .build();
    }

    private Behavior<Command> onAdd(Add a) {
        if (snapshots.containsKey(a.record().name())) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "a snapshot named '" + a.record().name() + "' exists already")));
            return this;
        }
        spawn(a.record(), Set.of());
        a.replyTo().tell(StatusReply.success(new Snapshot.Info(a.record(), Set.of())));
        return this;
    }

    private Behavior<Command> onFind(Find f) {
        ActorRef<Snapshot.Command> s = snapshots.get(f.name());
        if (s == null) {
            f.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no snapshot named '" + f.name() + "'")));
        } else {
            s.tell(new Snapshot.Describe(f.replyTo()));
        }
        return this;
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Behavior<Command> onList(ListAll l) {
        List<java.util.concurrent.CompletionStage<Snapshot.Info>> asks = new ArrayList<>();
        for (ActorRef<Snapshot.Command> s : snapshots.values()) {
            asks.add(Asks.<Snapshot.Command, StatusReply<Snapshot.Info>>ask(s,
                    Snapshot.Describe::new, TIMEOUT, getContext().getSystem().scheduler()).thenApply(StatusReply::getValue));
        }
        java.util.concurrent.CompletableFuture<?>[] all = asks.stream().map(java.util.concurrent.CompletionStage::toCompletableFuture)
                .toArray(java.util.concurrent.CompletableFuture[]::new);
        getContext().pipeToSelf(java.util.concurrent.CompletableFuture.allOf(all), (ok, failure) -> new Listed(
                asks.stream().map(a -> a.toCompletableFuture().getNow(null)).filter(java.util.Objects::nonNull).toList(), l.replyTo()));
        return this;
    }

    private Behavior<Command> onDelete(Delete d) {
        ActorRef<Snapshot.Command> s = snapshots.get(d.name());
        if (s == null) {
            d.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no snapshot named '" + d.name() + "'")));
        } else {
            s.tell(new Snapshot.Delete(d.replyTo()));
        }
        return this;
    }
}
