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
 * The root of the daemon's actor tree: the AncestryResolver (on the blocking dispatcher) and the
 * Router with its Mounts. The FUSE session is not an actor: its reader threads block in read(2) on
 * /dev/fuse, which no actor may do; the daemon binds its lifetime to CoordinatedShutdown instead.
 */
public final class Guardian extends AbstractBehavior<Guardian.Command> {
    public sealed interface Command permits GetRouter {
    }

    public record GetRouter(ActorRef<ActorRef<Router.Command>> replyTo) implements Command {
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
                .build();
    }
}
