package dev.strata.actors;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.NodeTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The request hot path: sends every kernel request to the Mount of the caller's runtime. A process
 * belongs to the runtime of its nearest ancestor that is a runtime's root (pid plus start time, so a
 * reused pid never inherits it); once resolved it sticks to that runtime for its life, so a daemon
 * that double-forks away from its parent keeps its view. Everyone else sees the empty default view.
 * Which roots and Mounts exist is decided by {@link Runtimes}, which hands this actor a copy of its
 * route table after each change.
 */
public final class Router extends AbstractBehavior<Router.Command> {
    public static final String DEFAULT_VIEW = "default";
    /** Processes that stuck to a runtime after their root exited are forgotten when they exit, checked this often. */
    static final Duration STICKY_PURGE_INTERVAL = Duration.ofSeconds(10);

    public sealed interface Command permits Forward, Routes, Resolved, Tick, Checked {
    }

    /** A kernel request from the bridge; the Mount answers through {@code reply} directly. */
    public record Forward(FsRequest request, Consumer<FsReply> reply) implements Command {
    }

    /**
     * The route table, copied: the roots of process trees by runtime name, each runtime's Mount, and
     * runtimes whose sticky processes must resolve again (a tree was unbound from them).
     */
    public record Routes(Map<ProcessIdentity, String> roots, Map<String, ActorRef<Mount.Command>> mounts, Set<String> resolveAgain)
            implements Command {
        public Routes {
            roots = Map.copyOf(roots);
            mounts = Map.copyOf(mounts);
            resolveAgain = Set.copyOf(resolveAgain);
        }
    }

    private record Resolved(AncestryResolver.Ancestry ancestry) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private record Checked(AncestryResolver.Liveness liveness) implements Command {
    }

    private final ActorRef<AncestryResolver.Command> resolver;
    private final ActorRef<Mount.Command> defaultMount;
    private final RouteCache routes;
    private Map<ProcessIdentity, String> roots = Map.of();
    private Map<String, ActorRef<Mount.Command>> mounts = Map.of();
    /** Shared with Runtimes through the route cache, written only here. */
    private final Map<ProcessIdentity, String> sticky;
    private final Map<Integer, List<Forward>> pending = new HashMap<>();
    private final ActorRef<AncestryResolver.Ancestry> ancestryAdapter;
    private final ActorRef<AncestryResolver.Liveness> livenessAdapter;

    public static Behavior<Command> create(ActorRef<AncestryResolver.Command> resolver, ProcessTable processes, NodeTable nodes,
                                           Mount.ViewSource emptyView, RouteCache routes) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Router(ctx, timers, resolver, processes, nodes, emptyView, routes)));
    }

    private Router(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<AncestryResolver.Command> resolver,
                   ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes) {
        super(ctx);
        this.resolver = resolver;
        this.routes = routes;
        this.sticky = routes.sticky();
        this.defaultMount = ctx.spawn(Behaviors.supervise(Mount.create(emptyView, nodes, processes))
                .onFailure(SupervisorStrategy.restart()), "mount-" + DEFAULT_VIEW, DispatcherSelector.fromConfig("strata.mount-dispatcher"));
        this.ancestryAdapter = ctx.messageAdapter(AncestryResolver.Ancestry.class, Resolved::new);
        this.livenessAdapter = ctx.messageAdapter(AncestryResolver.Liveness.class, Checked::new);
        timers.startTimerWithFixedDelay(Tick.INSTANCE, STICKY_PURGE_INTERVAL);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Forward.class, this::onForward)
                .onMessage(Resolved.class, this::onResolved)
                .onMessage(Routes.class, this::onRoutes)
                .onMessage(Tick.class, t -> onTick())
                .onMessage(Checked.class, this::onChecked)
                .build();
    }

    private Behavior<Command> onForward(Forward f) {
        int tid = f.request().caller().tid();
        if (tid == 0) {
            defaultMount.tell(new Mount.Handle(f.request(), f.reply()));
            return this;
        }
        ActorRef<Mount.Command> cached = routes.cached(tid);
        if (cached != null) {
            cached.tell(new Mount.Handle(f.request(), f.reply()));
            return this;
        }
        List<Forward> waiting = pending.get(tid);
        if (waiting != null) {
            waiting.add(f);
            return this;
        }
        waiting = new ArrayList<>();
        waiting.add(f);
        pending.put(tid, waiting);
        resolver.tell(new AncestryResolver.Resolve(tid, routed(), ancestryAdapter));
        return this;
    }

    /**
     * Processes whose route is known now (a bound root, or a sticky route to a running runtime): the
     * ancestry walk can stop at the first of them, since the routing rule takes the nearest.
     */
    private java.util.function.Predicate<ProcessIdentity> routed() {
        Map<ProcessIdentity, String> rootsNow = roots;
        Map<String, ActorRef<Mount.Command>> mountsNow = mounts;
        return p -> {
            if (rootsNow.containsKey(p)) {
                return true;
            }
            String stuck = sticky.get(p);
            return stuck != null && mountsNow.containsKey(stuck);
        };
    }

    private Behavior<Command> onResolved(Resolved r) {
        List<ProcessIdentity> chain = r.ancestry().chain();
        String runtime = runtimeOf(chain);
        if (runtime == null && r.ancestry().cut()) {
            // the walk stopped at a process whose route ended meanwhile: walk the whole chain
            resolver.tell(new AncestryResolver.Resolve(r.ancestry().tid(), p -> false, ancestryAdapter));
            return this;
        }
        if (runtime != null && !chain.isEmpty()) {
            sticky.put(chain.get(0), runtime);
        }
        ActorRef<Mount.Command> mount = runtime == null ? defaultMount : mounts.getOrDefault(runtime, defaultMount);
        routes.put(r.ancestry().tid(), mount);
        List<Forward> waiting = pending.remove(r.ancestry().tid());
        if (waiting != null) {
            waiting.forEach(f -> mount.tell(new Mount.Handle(f.request(), f.reply())));
        }
        return this;
    }

    private String runtimeOf(List<ProcessIdentity> chain) {
        return runtimeOf(chain, roots, sticky, mounts::containsKey);
    }

    /**
     * The routing rule, which Runtimes applies too: the runtime of the nearest process in the chain
     * that has one, as a bound root, or by its own sticky route to a runtime that still runs.
     */
    static String runtimeOf(List<ProcessIdentity> chain, Map<ProcessIdentity, String> roots, Map<ProcessIdentity, String> sticky,
                            java.util.function.Predicate<String> running) {
        for (ProcessIdentity p : chain) {
            String root = roots.get(p);
            if (root != null) {
                return root;
            }
            String stuck = sticky.get(p);
            if (stuck != null && running.test(stuck)) {
                return stuck;
            }
        }
        return null;
    }

    private Behavior<Command> onRoutes(Routes r) {
        roots = r.roots();
        mounts = r.mounts();
        sticky.values().removeIf(name -> !mounts.containsKey(name) || r.resolveAgain().contains(name));
        routes.clear(); // threads resolved before this change must ask again
        return this;
    }

    private Behavior<Command> onTick() {
        if (!sticky.isEmpty()) {
            resolver.tell(new AncestryResolver.CheckAlive(Set.copyOf(sticky.keySet()), livenessAdapter));
        }
        return this;
    }

    private Behavior<Command> onChecked(Checked c) {
        c.liveness().dead().forEach(sticky::remove);
        return this;
    }
}
