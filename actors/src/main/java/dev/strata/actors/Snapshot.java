package dev.strata.actors;

import dev.strata.persistence.Renderer;
import dev.strata.persistence.SnapshotRecord;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * One snapshot: an immutable stack of layers, on disk in {@code snapshots/<name>/}, and the branches
 * made from it. It refuses to be deleted while a branch stands on it.
 */
public final class Snapshot extends AbstractBehavior<Snapshot.Command> {
    public sealed interface Command permits Describe, AddBranch, RemoveBranch, Delete {
    }

    /** What the snapshot is and which branches stand on it. */
    public record Info(SnapshotRecord record, Set<String> branches) {
    }

    public record Describe(ActorRef<StatusReply<Info>> replyTo) implements Command {
    }

    public record AddBranch(String branch) implements Command {
    }

    public record RemoveBranch(String branch) implements Command {
    }

    public record Delete(ActorRef<StatusReply<Info>> replyTo) implements Command {
    }

    private final SnapshotRecord record;
    private final Path dir;
    private final Set<String> branches = new TreeSet<>();

    static Behavior<Command> create(SnapshotRecord record, Path dir, Set<String> branches) {
        return Behaviors.setup(ctx -> new Snapshot(ctx, record, dir, branches));
    }

    private Snapshot(ActorContext<Command> ctx, SnapshotRecord record, Path dir, Set<String> branches) {
        super(ctx);
        this.record = record;
        this.dir = dir;
        this.branches.addAll(branches);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Describe.class, d -> {
                    d.replyTo().tell(StatusReply.success(info()));
                    return this;
                })
                .onMessage(AddBranch.class, a -> {
                    branches.add(a.branch());
                    return this;
                })
                .onMessage(RemoveBranch.class, r -> {
                    branches.remove(r.branch());
                    return this;
                })
                .onMessage(Delete.class, this::onDelete)
                .build();
    }

    private Info info() {
        return new Info(record, Set.copyOf(branches));
    }

    private Behavior<Command> onDelete(Delete d) {
        if (!branches.isEmpty()) {
            d.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.IN_USE, "snapshot '" + record.name()
                    + "' is the base of branch" + (branches.size() > 1 ? "es " : " ") + String.join(", ", branches)
                    + ": delete " + (branches.size() > 1 ? "them" : "it") + " first")));
            return this;
        }
        try {
            Renderer.deleteTree(dir);
        } catch (RuntimeException e) {
            d.replyTo().tell(StatusReply.error(new IllegalStateException("removing snapshot " + record.name() + " failed: " + e.getMessage())));
            return this;
        }
        getContext().getLog().info("snapshot {} deleted", record.name());
        d.replyTo().tell(StatusReply.success(info()));
        return Behaviors.stopped();
    }
}
