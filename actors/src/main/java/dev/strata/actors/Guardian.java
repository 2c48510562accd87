package dev.strata.actors;

import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.NodeTable;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RuntimeStore;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The root of the daemon's actor tree: the AncestryResolver (on the blocking dispatcher), the
 * Router with its Mounts (the request hot path), the Snapshots, and Runtimes, the one owner of the
 * runtime lifecycle that every control command goes through. The FUSE session is not an actor: its reader threads block in read(2) on
 * /dev/fuse, which no actor may do; the daemon binds its lifetime to CoordinatedShutdown instead.
 */
public final class Guardian extends AbstractBehavior<Guardian.Command> {
    public sealed interface Command permits GetRouter, GetSnapshots, GetRuntimes {
    }

    public record GetRuntimes(ActorRef<ActorRef<Runtimes.Command>> replyTo) implements Command {
    }

    public record GetRouter(ActorRef<ActorRef<Router.Command>> replyTo) implements Command {
    }

    public record GetSnapshots(ActorRef<ActorRef<Snapshots.Command>> replyTo) implements Command {
    }

    private final ActorRef<Router.Command> router;
    private final ActorRef<Snapshots.Command> snapshots;
    private final ActorRef<Runtimes.Command> runtimes;

    /** {@code snapshotsDir} and {@code runtimesDir}: where snapshots and (branch) runtimes are kept. */
    public static Behavior<Command> create(ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes,
                                           Repository repo, Path snapshotsDir, Path runtimesDir) {
        return Behaviors.setup(ctx -> new Guardian(ctx, processes, nodes, emptyView, routes, repo, snapshotsDir, runtimesDir));
    }

    private Guardian(ActorContext<Command> ctx, ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes,
                     Repository repo, Path snapshotsDir, Path runtimesDir) {
        super(ctx);
        ctx.spawn(LostRequests.create(), "lost-requests");
        int resolvers = ctx.getSystem().settings().config().getInt("strata.resolvers");
        ActorRef<AncestryResolver.Command> resolver = ctx.spawn(org.apache.pekko.actor.typed.javadsl.Routers.pool(resolvers,
                        Behaviors.supervise(AncestryResolver.create(processes)).onFailure(SupervisorStrategy.restart()))
                .withRouteeProps(DispatcherSelector.fromConfig("strata.resolver-dispatcher")), "ancestry-resolver");
        // The registries resume after a bug in one message: restarting them would forget every runtime
        // and snapshot (and stop their actors), while their state stays whole between messages.
        router = ctx.spawn(Behaviors.supervise(Router.create(resolver, processes, nodes, emptyView, routes))
                .onFailure(SupervisorStrategy.resume()), "router");
        snapshots = ctx.spawn(Behaviors.supervise(Snapshots.create(snapshotsDir, runtimesDir)).onFailure(SupervisorStrategy.resume()),
                "snapshots", DispatcherSelector.fromConfig("strata.blocking-dispatcher"));
        runtimes = ctx.spawn(Behaviors.supervise(Runtimes.create(router, routes, snapshots, repo, new RuntimeStore(runtimesDir, snapshotsDir), processes, nodes))
                .onFailure(SupervisorStrategy.resume()), "runtimes", DispatcherSelector.fromConfig("strata.blocking-dispatcher"));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetRouter.class, g -> {
                    g.replyTo().tell(router);
                    return this;
                })
                .onMessage(GetRuntimes.class, g -> {
                    g.replyTo().tell(runtimes);
                    return this;
                })
                .onMessage(GetSnapshots.class, g -> {
                    g.replyTo().tell(snapshots);
                    return this;
                })
                .build();
    }
}
