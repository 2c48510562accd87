package dev.strata.actors;

import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.NodeTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The root of the daemon's actor tree: the AncestryResolver (on the blocking dispatcher), the
 * Router with its Mounts, and whatever the daemon asks it to spawn (the FUSE session).
 */
public final class Guardian extends AbstractBehavior<Guardian.Command> {
    public sealed interface Command permits GetRouter, Spawn {
    }

    public record GetRouter(ActorRef<ActorRef<Router.Command>> replyTo) implements Command {
    }

    /** Spawns a child of the guardian (the FUSE session lives in a module the actors do not know). */
    public record Spawn<T>(Behavior<T> behavior, String name, ActorRef<ActorRef<T>> replyTo) implements Command {
    }

    private final ActorRef<Router.Command> router;

    public static Behavior<Command> create(ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes) {
        return Behaviors.setup(ctx -> new Guardian(ctx, processes, nodes, emptyView, routes));
    }

    private Guardian(ActorContext<Command> ctx, ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes) {
        super(ctx);
        ActorRef<AncestryResolver.Command> resolver = ctx.spawn(AncestryResolver.create(processes), "ancestry-resolver",
                DispatcherSelector.fromConfig("strata.blocking-dispatcher"));
        router = ctx.spawn(Router.create(resolver, processes, nodes, emptyView, routes), "router");
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetRouter.class, g -> {
                    g.replyTo().tell(router);
                    return this;
                })
                .onMessage(Spawn.class, this::onSpawn)
                .build();
    }

    private <T> Behavior<Command> onSpawn(Spawn<T> s) {
        s.replyTo().tell(getContext().spawn(s.behavior(), s.name()));
        return this;
    }
}
