package dev.strata.actors;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.actors.process.ExitWatch;
import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.NodeTable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
import org.apache.pekko.pattern.StatusReply;

/**
 * Routes every kernel request to the Mount of the caller's runtime. A runtime belongs to a root
 * process (pid plus start time, so a reused pid never inherits it); a process belongs to the
 * runtime of its nearest ancestor that has one, and once resolved it sticks to that runtime for
 * its life, so a daemon that double-forks away from its parent keeps its view. Everyone else sees
 * the empty default view. A runtime ends when its root process exits.
 */
public final class Router extends AbstractBehavior<Router.Command> {
    public static final String DEFAULT_VIEW = "default";
    /** Without exit events (a process table that has none), roots are polled this often. */
    static final Duration EXIT_CHECK_INTERVAL = Duration.ofMillis(200);
    /** Processes that stuck to a runtime after their root exited are forgotten when they exit, checked this often. */
    static final Duration STICKY_PURGE_INTERVAL = Duration.ofSeconds(10);

    public sealed interface Command permits Forward, AddRuntime, RemoveRuntime, ListRuntimes, MountOf,
            Resolved, RootResolved, Tick, Checked, MountStopped, CommitRuntime, DiffRuntime, RuntimeOf, Committed, Replied,
            CaptureRuntime, Unbind {
    }

    /** A kernel request from the bridge; the Mount answers through {@code reply} directly. */
    public record Forward(FsRequest request, Consumer<FsReply> reply) implements Command {
    }

    /**
     * Starts runtime {@code name} for the tree of {@code rootPid}, or, when {@code join} and the
     * runtime is running, adds the tree to it. {@code source} serves a read-only runtime; without it the
     * runtime is editable, its record and scratch in {@code scratch}. A read-only runtime may have a
     * directory too ({@code scratch}, for its record), which goes with it.
     */
    public record AddRuntime(String name, int rootPid, String envSpec, List<String> layers, Mount.ViewSource source,
                             Scratch.Setup scratch, boolean durable, boolean join, OwnerGuard owner,
                             ActorRef<StatusReply<RuntimeInfo>> replyTo) implements Command {
        public AddRuntime(String name, int rootPid, String envSpec, List<String> layers, Mount.ViewSource source,
                          ActorRef<StatusReply<RuntimeInfo>> replyTo) {
            this(name, rootPid, envSpec, layers, source, null, false, false, OwnerGuard.root(), replyTo);
        }
    }

    /**
     * The owner a command acts as: {@code uid} owns what it starts, and unless {@code anyOwner} (root),
     * it may touch only runtimes and process trees of that uid. The lifecycle owner decides it; the
     * Router applies it in the same message that acts, so no runtime can change hands in between.
     */
    public record OwnerGuard(int uid, boolean anyOwner) {
        public static OwnerGuard root() {
            return new OwnerGuard(Caller.ROOT, true);
        }

        public static OwnerGuard of(Caller caller) {
            return new OwnerGuard(caller.uid(), caller.isRoot());
        }

        boolean admits(RuntimeInfo runtime) {
            return anyOwner || runtime.owner() == uid;
        }

        RuntimeRefused refusal(RuntimeInfo runtime, String action) {
            return new RuntimeRefused(RuntimeRefused.Reason.DENIED, "cannot " + action + " runtime '" + runtime.name()
                    + "': it belongs to uid " + runtime.owner() + ", and only its owner or root may");
        }
    }

    /**
     * The runtime an operation is for: the one process {@code pid} belongs to, or the one named
     * {@code name}; a named runtime that is not running is started from {@code ifStopped} for the
     * operation (a durable runtime or branch with no process in it) and ended after it.
     */
    public record Target(int pid, String name, Scratch.Setup ifStopped, int stoppedOwner, OwnerGuard guard) {
        public static Target ofProcess(int pid) {
            return new Target(pid, null, null, Caller.ROOT, OwnerGuard.root());
        }

        public static Target ofProcess(int pid, OwnerGuard guard) {
            return new Target(pid, null, null, Caller.ROOT, guard);
        }

        public static Target named(String name, Scratch.Setup ifStopped) {
            return new Target(0, name, ifStopped, Caller.ROOT, OwnerGuard.root());
        }

        /** A named runtime; {@code owner} is the recorded owner to start it with when it is stopped. */
        public static Target named(String name, Scratch.Setup ifStopped, int owner, OwnerGuard guard) {
            return new Target(0, name, ifStopped, owner, guard);
        }
    }

    /** Commits a runtime's scratch into a layer. */
    public record CommitRuntime(Target target, String tag, String message, int by, ActorRef<StatusReply<Mount.CommitOutcome>> replyTo)
            implements Command {
    }

    /** Lists what a runtime's scratch changed. */
    public record DiffRuntime(Target target, ActorRef<StatusReply<Mount.DiffOutcome>> replyTo) implements Command {
    }

    /** Freezes a runtime's view as snapshot {@code snapshot}, written to {@code dir}. */
    public record CaptureRuntime(Target target, String snapshot, java.nio.file.Path dir,
                                 ActorRef<StatusReply<dev.strata.persistence.SnapshotRecord>> replyTo) implements Command {
    }

    /** Detaches the tree of {@code pid} (bound with a join) from its runtime. */
    public record Unbind(int pid, OwnerGuard guard, ActorRef<StatusReply<String>> replyTo) implements Command {
    }

    /** The runtime process {@code pid} belongs to, if any. */
    public record RuntimeOf(int pid, ActorRef<java.util.Optional<RuntimeInfo>> replyTo) implements Command {
    }

    /** Continues work in this actor after an asynchronous step. */
    private record Replied(Runnable action) implements Command {
    }

    private record Committed(String name, Mount.CommitOutcome outcome, Throwable failure,
                             ActorRef<StatusReply<Mount.CommitOutcome>> replyTo) implements Command {
    }

    public record RemoveRuntime(String name, OwnerGuard guard, ActorRef<StatusReply<RuntimeInfo>> replyTo) implements Command {
        public RemoveRuntime(String name, ActorRef<StatusReply<RuntimeInfo>> replyTo) {
            this(name, OwnerGuard.root(), replyTo);
        }
    }

    public record ListRuntimes(ActorRef<List<RuntimeInfo>> replyTo) implements Command {
    }

    /** For tests and fault injection: the Mount actor of a runtime, if it exists. */
    public record MountOf(String name, ActorRef<java.util.Optional<ActorRef<Mount.Command>>> replyTo) implements Command {
    }

    private record Resolved(AncestryResolver.Ancestry ancestry) implements Command {
    }

    private record RootResolved(AddRuntime request, AncestryResolver.Ancestry ancestry) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private record Checked(AncestryResolver.Liveness liveness) implements Command {
    }

    private record MountStopped(String name, ActorRef<Mount.Command> mount) implements Command {
    }

    private record Runtime(RuntimeInfo info, ActorRef<Mount.Command> mount) {
    }

    private final ActorRef<AncestryResolver.Command> resolver;
    private final NodeTable nodes;
    private final ProcessTable processes;
    private final ActorRef<Mount.Command> defaultMount;
    private final Map<String, Runtime> runtimes = new HashMap<>();
    private final Map<ProcessIdentity, String> rootOf = new HashMap<>();
    private final Map<ProcessIdentity, String> sticky = new HashMap<>();
    private final RouteCache routes;
    private final Map<Integer, List<Forward>> pending = new HashMap<>();
    private final ActorRef<AncestryResolver.Ancestry> ancestryAdapter;
    private final ActorRef<AncestryResolver.Liveness> livenessAdapter;
    private final ExitWatch exits;
    private long ticks;
    private long incarnations;

    public static Behavior<Command> create(ActorRef<AncestryResolver.Command> resolver, ProcessTable processes, NodeTable nodes,
                                           Mount.ViewSource emptyView, RouteCache routes) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Router(ctx, timers, resolver, processes, nodes, emptyView, routes)));
    }

    private Router(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<AncestryResolver.Command> resolver,
                   ProcessTable processes, NodeTable nodes, Mount.ViewSource emptyView, RouteCache routes) {
        super(ctx);
        this.processes = processes;
        this.resolver = resolver;
        this.nodes = nodes;
        this.routes = routes;
        this.defaultMount = spawnMount(DEFAULT_VIEW, emptyView);
        this.ancestryAdapter = ctx.messageAdapter(AncestryResolver.Ancestry.class, Resolved::new);
        this.livenessAdapter = ctx.messageAdapter(AncestryResolver.Liveness.class, Checked::new);
        this.exits = processes.exitWatch();
        timers.startTimerWithFixedDelay(Tick.INSTANCE, exits == null ? EXIT_CHECK_INTERVAL : STICKY_PURGE_INTERVAL);
    }

    /** Binds a root to its runtime; the runtime hears of the root's exit from the kernel (or, lacking that, by polling). */
    private void bindRoot(ProcessIdentity root, String runtime) {
        rootOf.put(root, runtime);
        if (exits != null) {
            ActorRef<Command> self = getContext().getSelf();
            exits.watch(root, () -> self.tell(new Checked(new AncestryResolver.Liveness(Set.of(root)))));
        }
    }

    private ActorRef<Mount.Command> spawnMount(String name, Mount.ViewSource source) {
        return spawnMount(name, Mount.create(source, nodes, processes));
    }

    private ActorRef<Mount.Command> spawnMount(String name, Behavior<Mount.Command> behavior) {
        Behavior<Mount.Command> supervised = Behaviors.supervise(behavior)
                .onFailure(SupervisorStrategy.restart().withLimit(20, Duration.ofMinutes(1)));
        // a stopped Mount keeps its name until it has terminated: a runtime started again at once needs another
        ActorRef<Mount.Command> mount = getContext().spawn(supervised, "mount-" + name + "-" + (++incarnations),
                DispatcherSelector.fromConfig("strata.mount-dispatcher"));
        getContext().watchWith(mount, new MountStopped(name, mount));
        return mount;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Forward.class, this::onForward)
                .onMessage(Resolved.class, this::onResolved)
                .onMessage(AddRuntime.class, this::onAddRuntime)
                .onMessage(RootResolved.class, this::onRootResolved)
                .onMessage(RemoveRuntime.class, this::onRemoveRuntime)
                .onMessage(ListRuntimes.class, this::onList)
                .onMessage(MountOf.class, this::onMountOf)
                .onMessage(Tick.class, t -> onTick())
                .onMessage(Checked.class, this::onChecked)
                .onMessage(MountStopped.class, this::onMountStopped)
                .onMessage(CommitRuntime.class, this::onCommitRuntime)
                .onMessage(DiffRuntime.class, this::onDiffRuntime)
                .onMessage(RuntimeOf.class, this::onRuntimeOf)
                .onMessage(Committed.class, this::onCommitted)
                .onMessage(CaptureRuntime.class, this::onCapture)
                .onMessage(Unbind.class, this::onUnbind)
                .onMessage(Replied.class, r -> {
                    r.action().run();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onForward(Forward f) {
        int tid = f.request().caller().tid();
        if (tid == 0) {
            defaultMount.tell(new Mount.Handle(f.request(), f.reply()));
            return this;
        }
        ActorRef<Mount.Command> cached = routes.mountFor(tid);
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
        resolver.tell(new AncestryResolver.Resolve(tid, ancestryAdapter));
        return this;
    }

    private Behavior<Command> onResolved(Resolved r) {
        List<ProcessIdentity> chain = r.ancestry().chain();
        String runtime = runtimeOf(chain);
        if (runtime != null && !chain.isEmpty()) {
            sticky.put(chain.get(0), runtime);
        }
        ActorRef<Mount.Command> mount = mountOf(runtime);
        routes.put(r.ancestry().tid(), mount);
        List<Forward> waiting = pending.remove(r.ancestry().tid());
        if (waiting != null) {
            waiting.forEach(f -> mount.tell(new Mount.Handle(f.request(), f.reply())));
        }
        return this;
    }

    /** The runtime of the nearest process in the chain that has one: its own sticky route, or a root. */
    private String runtimeOf(List<ProcessIdentity> chain) {
        for (ProcessIdentity p : chain) {
            String root = rootOf.get(p);
            if (root != null) {
                return root;
            }
            String stuck = sticky.get(p);
            if (stuck != null && runtimes.containsKey(stuck)) {
                return stuck;
            }
        }
        return null;
    }

    private ActorRef<Mount.Command> mountOf(String runtime) {
        Runtime r = runtime == null ? null : runtimes.get(runtime);
        return r == null ? defaultMount : r.mount();
    }

    private Behavior<Command> onAddRuntime(AddRuntime a) {
        if (DEFAULT_VIEW.equals(a.name()) || (runtimes.containsKey(a.name()) && !a.join())) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "a runtime named '" + a.name() + "' exists already")));
            return this;
        }
        getContext().pipeToSelf(askAncestry(a.rootPid()), (ancestry, failure) ->
                new RootResolved(a, ancestry == null ? new AncestryResolver.Ancestry(a.rootPid(), List.of()) : ancestry));
        return this;
    }

    private java.util.concurrent.CompletionStage<AncestryResolver.Ancestry> askAncestry(int pid) {
        return org.apache.pekko.actor.typed.javadsl.AskPattern.ask(resolver,
                replyTo -> new AncestryResolver.Resolve(pid, replyTo), Duration.ofSeconds(5), getContext().getSystem().scheduler());
    }

    private Behavior<Command> onRootResolved(RootResolved r) {
        AddRuntime a = r.request();
        List<ProcessIdentity> chain = r.ancestry().chain();
        if (chain.isEmpty() || chain.get(0).pid() != a.rootPid()) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.INVALID,
                    "no process with pid " + a.rootPid() + " (a root pid names a running process, not a thread)")));
            return this;
        }
        ProcessIdentity root = chain.get(0);
        if (rootOf.containsKey(root)) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "process " + a.rootPid() + " is the root of runtime '" + rootOf.get(root) + "' already")));
            return this;
        }
        String current = runtimeOf(chain);
        if (current != null && !a.owner().admits(runtimes.get(current).info())) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.DENIED, "process " + a.rootPid()
                    + " is in runtime '" + current + "' of uid " + runtimes.get(current).info().owner()
                    + ": a process in another user's runtime cannot be taken")));
            return this;
        }
        Runtime running = runtimes.get(a.name());
        if (running != null && a.join() && !a.owner().admits(running.info())) {
            a.replyTo().tell(StatusReply.error(a.owner().refusal(running.info(), "join")));
            return this;
        }
        if (running != null && !a.join()) {
            a.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "a runtime named '" + a.name() + "' exists already")));
            return this;
        }
        if (running != null) {
            bindRoot(root, a.name());
            routes.clear();
            getContext().getLog().info("process {} joined runtime {}", root.pid(), a.name());
            a.replyTo().tell(StatusReply.success(running.info()));
            return this;
        }
        RuntimeInfo info = new RuntimeInfo(a.name(), root, a.envSpec(), a.layers(), Instant.now(), a.source() == null, a.durable(),
                a.owner().uid());
        Behavior<Mount.Command> mount = a.source() == null ? Mount.editable(a.scratch(), nodes, processes)
                : a.scratch() == null ? Mount.create(a.source(), nodes, processes) : Mount.readOnly(a.source(), a.scratch(), nodes, processes);
        runtimes.put(a.name(), new Runtime(info, spawnMount(a.name(), mount)));
        bindRoot(root, a.name());
        routes.clear(); // threads resolved to another view before this mount must ask again
        getContext().getLog().info("runtime {} mounted for process {} with {}", a.name(), root.pid(), a.envSpec());
        a.replyTo().tell(StatusReply.success(info));
        return this;
    }

    private Behavior<Command> onRemoveRuntime(RemoveRuntime r) {
        Runtime runtime = runtimes.get(r.name());
        if (runtime == null) {
            r.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + r.name() + "'")));
            return this;
        }
        if (!r.guard().admits(runtime.info())) {
            r.replyTo().tell(StatusReply.error(r.guard().refusal(runtime.info(), "end")));
            return this;
        }
        end(r.name());
        r.replyTo().tell(StatusReply.success(runtime.info()));
        return this;
    }

    private void end(String name) {
        Runtime runtime = runtimes.remove(name);
        if (runtime == null) {
            return;
        }
        rootOf.values().removeIf(name::equals);
        sticky.values().removeIf(name::equals);
        routes.clear();
        getContext().stop(runtime.mount());
        getContext().getLog().info("runtime {} ended", name);
    }

    private Behavior<Command> onList(ListRuntimes l) {
        l.replyTo().tell(runtimes.values().stream().map(Runtime::info).sorted(java.util.Comparator.comparing(RuntimeInfo::name)).toList());
        return this;
    }

    private Behavior<Command> onMountOf(MountOf m) {
        Runtime r = runtimes.get(m.name());
        m.replyTo().tell(java.util.Optional.ofNullable(r == null ? (DEFAULT_VIEW.equals(m.name()) ? defaultMount : null) : r.mount()));
        return this;
    }

    private Behavior<Command> onTick() {
        ticks++;
        Set<ProcessIdentity> watched = new HashSet<>();
        if (exits == null) {
            watched.addAll(rootOf.keySet());
        }
        if (exits != null || ticks % (STICKY_PURGE_INTERVAL.toMillis() / EXIT_CHECK_INTERVAL.toMillis()) == 0) {
            watched.addAll(sticky.keySet());
        }
        if (!watched.isEmpty()) {
            resolver.tell(new AncestryResolver.CheckAlive(watched, livenessAdapter));
        }
        return this;
    }

    private Behavior<Command> onChecked(Checked c) {
        for (ProcessIdentity dead : c.liveness().dead()) {
            sticky.remove(dead);
            String runtime = rootOf.remove(dead);
            if (runtime != null && !rootOf.containsValue(runtime)) {
                end(runtime); // its last root tree is gone
            }
        }
        return this;
    }

    /** Finds the runtime of a process (the one its file system requests reach) and continues in this actor. */
    private void resolveRuntime(int pid, Consumer<Runtime> found, Runnable none) {
        getContext().pipeToSelf(askAncestry(pid), (ancestry, failure) -> new Replied(() -> {
            String name = ancestry == null || ancestry.chain().isEmpty() ? null : runtimeOf(ancestry.chain());
            Runtime runtime = name == null ? null : runtimes.get(name);
            if (runtime != null) {
                found.accept(runtime);
            } else {
                none.run();
            }
        }));
    }

    private Behavior<Command> onCommitRuntime(CommitRuntime c) {
        withTarget(c.target(), runtime -> getContext().ask(Mount.CommitOutcome.class, runtime.mount(), COMMIT_TIMEOUT,
                        ref -> new Mount.Commit(c.tag(), c.message(), c.by(), ref),
                        (outcome, failure) -> new Committed(runtime.info().name(), outcome, failure, c.replyTo())),
                refusal -> c.replyTo().tell(StatusReply.error(refusal)));
        return this;
    }

    private Behavior<Command> onCommitted(Committed c) {
        if (c.failure() != null) {
            c.replyTo().tell(StatusReply.error(c.failure()));
        } else {
            Runtime runtime = runtimes.get(c.name());
            if (runtime != null && c.outcome().layer() != null) {
                RuntimeInfo i = runtime.info();
                runtimes.put(c.name(), new Runtime(i.withLayers(c.outcome().layers()), runtime.mount()));
            }
            c.replyTo().tell(StatusReply.success(c.outcome()));
        }
        endIfIdle(c.name());
        return this;
    }

    private Behavior<Command> onDiffRuntime(DiffRuntime d) {
        withTarget(d.target(), runtime -> getContext().ask(Mount.DiffOutcome.class, runtime.mount(), Duration.ofSeconds(30),
                        Mount.Diff::new, (outcome, failure) -> new Replied(() -> {
                            d.replyTo().tell(failure != null ? StatusReply.error(failure) : StatusReply.success(outcome));
                            endIfIdle(runtime.info().name());
                        })),
                refusal -> d.replyTo().tell(StatusReply.error(refusal)));
        return this;
    }

    private Behavior<Command> onCapture(CaptureRuntime c) {
        withTarget(c.target(), runtime -> getContext().ask(Mount.CaptureOutcome.class, runtime.mount(), COMMIT_TIMEOUT,
                        ref -> new Mount.Capture(c.snapshot(), c.dir(), ref), (outcome, failure) -> new Replied(() -> {
                            if (failure != null) {
                                c.replyTo().tell(StatusReply.error(failure));
                            } else if (outcome.error() != null) {
                                c.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.IN_USE, outcome.error())));
                            } else {
                                c.replyTo().tell(StatusReply.success(outcome.snapshot()));
                            }
                            endIfIdle(runtime.info().name());
                        })),
                refusal -> c.replyTo().tell(StatusReply.error(refusal)));
        return this;
    }

    private Behavior<Command> onUnbind(Unbind u) {
        getContext().pipeToSelf(askAncestry(u.pid()), (ancestry, failure) -> new Replied(() -> {
            ProcessIdentity root = ancestry == null || ancestry.chain().isEmpty() ? null : ancestry.chain().get(0);
            String name = root == null ? null : rootOf.get(root);
            if (name != null && !u.guard().admits(runtimes.get(name).info())) {
                u.replyTo().tell(StatusReply.error(u.guard().refusal(runtimes.get(name).info(), "unbind a process tree from")));
                return;
            }
            if (name != null) {
                rootOf.remove(root);
            }
            if (name == null) {
                u.replyTo().tell(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND,
                        "process " + u.pid() + " is not the root of a bound tree")));
                return;
            }
            // its descendants resolved to the runtime through it: they ask again, as does every other thread
            sticky.values().removeIf(name::equals);
            routes.clear();
            getContext().getLog().info("process {} unbound from runtime {}", u.pid(), name);
            endIfIdle(name);
            u.replyTo().tell(StatusReply.success(name));
        }));
        return this;
    }

    /** Runs {@code op} on the target's runtime, starting a stopped named runtime for it. */
    private void withTarget(Target target, Consumer<Runtime> op, Consumer<RuntimeRefused> refused) {
        Consumer<Runtime> guarded = runtime -> {
            if (target.guard().admits(runtime.info())) {
                op.accept(runtime);
            } else {
                refused.accept(target.guard().refusal(runtime.info(), "act on"));
            }
        };
        if (target.name() == null) {
            resolveRuntime(target.pid(), guarded, () -> refused.accept(notInRuntime(target.pid())));
            return;
        }
        Runtime running = runtimes.get(target.name());
        if (running == null && target.ifStopped() != null) {
            RuntimeInfo info = new RuntimeInfo(target.name(), new ProcessIdentity(0, 0), "", List.of(), Instant.now(), true, true,
                    target.stoppedOwner());
            running = new Runtime(info, spawnMount(target.name(), Mount.editable(target.ifStopped(), nodes, processes)));
            runtimes.put(target.name(), running);
        }
        if (running == null) {
            refused.accept(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + target.name() + "'"));
        } else {
            guarded.accept(running);
        }
    }

    /** A runtime no process tree is bound to any more ends (one started just for an operation, or one unbound). */
    private void endIfIdle(String name) {
        if (runtimes.containsKey(name) && !rootOf.containsValue(name)) {
            end(name);
        }
    }

    private Behavior<Command> onRuntimeOf(RuntimeOf r) {
        resolveRuntime(r.pid(), runtime -> r.replyTo().tell(java.util.Optional.of(runtime.info())),
                () -> r.replyTo().tell(java.util.Optional.empty()));
        return this;
    }

    private static final Duration COMMIT_TIMEOUT = Duration.ofMinutes(30);

    private static RuntimeRefused notInRuntime(int pid) {
        return new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "process " + pid + " is in no runtime");
    }

    private Behavior<Command> onMountStopped(MountStopped s) {
        // a Mount that stopped on its own (restart limit exceeded) takes its runtime with it; a runtime of
        // the same name started since then is another one
        Runtime runtime = runtimes.get(s.name());
        if (runtime != null && runtime.mount().equals(s.mount())) {
            end(s.name());
        }
        return this;
    }
}
