package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Reads the process table: a calling thread's process and its ancestors, and which processes have
 * exited. Its reads of /proc block, so it runs on the blocking dispatcher, never the default one.
 */
public final class AncestryResolver extends AbstractBehavior<AncestryResolver.Command> {
    public sealed interface Command permits Resolve, CheckAlive {
    }

    /**
     * Asks for the process of thread {@code tid} and its ancestors, nearest first, up to the first
     * that {@code enough} accepts (all of them when it accepts none).
     */
    public record Resolve(int tid, java.util.function.Predicate<ProcessIdentity> enough, ActorRef<Ancestry> replyTo) implements Command {
    }

    /** Empty when the thread no longer exists; {@code cut} when the walk ended early, at a process the asker accepted. */
    public record Ancestry(int tid, List<ProcessIdentity> chain, boolean cut) {
    }

    public record CheckAlive(Set<ProcessIdentity> processes, ActorRef<Liveness> replyTo) implements Command {
    }

    public record Liveness(Set<ProcessIdentity> dead) {
    }

    private final ProcessTable table;

    public static Behavior<Command> create(ProcessTable table) {
        return Behaviors.setup(ctx -> new AncestryResolver(ctx, table));
    }

    private AncestryResolver(ActorContext<Command> ctx, ProcessTable table) {
        super(ctx);
        this.table = table;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Resolve.class, this::onResolve)
                .onMessage(CheckAlive.class, this::onCheckAlive)
                .build();
    }

    private Behavior<Command> onResolve(Resolve r) {
        List<ProcessIdentity> chain = table.ancestry(r.tid(), r.enough());
        r.replyTo().tell(new Ancestry(r.tid(), chain, !chain.isEmpty() && r.enough().test(chain.get(chain.size() - 1))));
        return this;
    }

    private Behavior<Command> onCheckAlive(CheckAlive c) {
        Set<ProcessIdentity> dead = new HashSet<>();
        for (ProcessIdentity p : c.processes()) {
            if (!table.isAlive(p)) {
                dead.add(p);
            }
        }
        c.replyTo().tell(new Liveness(dead));
        return this;
    }
}
