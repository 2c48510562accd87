package dev.strata.actors;

import dev.strata.actors.process.ExitWatch;
import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.NodeTable;
import dev.strata.engine.WorkMeter;
import dev.strata.engine.View;
import dev.strata.persistence.Digest;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.RuntimeStore;
import dev.strata.persistence.SnapshotRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
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
 * The one owner of the runtime lifecycle, shaped like the Pekko tutorial's DeviceGroup: it alone
 * names, claims, starts, joins, ends, commits and captures runtimes, creates and deletes branches and
 * snapshots, holds the owner check ({@link ControlRules}) for each, and spawns the Mount of every
 * runtime as its child. Commands are plain data carrying the caller's kernel-attested identity. A
 * name is claimed here before any disk work, so two starts of one name never both touch its
 * directory. After each change it hands the {@link Router} (the request hot path) a copy of the route
 * table. It runs on the blocking dispatcher: its disk work (records, through {@link RuntimeStore}) is
 * short and serialized; commits and captures run in the Mounts' Scratch actors.
 */
public final class Runtimes extends AbstractBehavior<Runtimes.Command> {
    private static final Duration ASK = Duration.ofSeconds(10);
    private static final Duration LONG = Duration.ofMinutes(30);
    /** Without exit events (a process table that has none), roots are polled this often. */
    static final Duration EXIT_CHECK_INTERVAL = Duration.ofMillis(200);

    public sealed interface Command permits Start, OwnMountOf, End, ListRunning, Remove, RemoveTag, Commit, Diff, Unbind, CreateSnapshot,
            ListSnapshots, DeleteSnapshot, CreateBranch, ListBranches, DiffBranch, CommitBranch, DeleteBranch, Progress, MountOf, Add,
            RootsExited, MountStopped, Poll, Continue, SetDraining {
    }

    /**
     * Gives the tree of {@code rootPid} a runtime: a new one named {@code name} (chosen from the pid when
     * empty) on {@code envSpec}, or, with {@code join}, the running or durable runtime {@code name}.
     * {@code ownMount}: the tree gets a FUSE connection of its own ({@link OwnMountOf}), which no other tree may join.
     */
    public record Start(Caller caller, String name, int rootPid, String envSpec, boolean editable, boolean durable, boolean join,
                        boolean ownMount, ActorRef<StatusReply<RuntimeInfo>> replyTo) implements Command {
    }

    /**
     * The Mount that is to serve the own connection of runtime {@code name}, asked by the process that
     * started it with {@code ownMount} (once).
     */
    public record OwnMountOf(Caller caller, String name, ActorRef<StatusReply<OwnMountTarget>> replyTo) implements Command {
    }

    public record OwnMountTarget(ActorRef<Mount.Command> mount, boolean editable) {
    }

    public record End(Caller caller, String name, ActorRef<StatusReply<RuntimeInfo>> replyTo) implements Command {
    }

    /**
     * The runtimes the caller may see (its own, or all for root): the running ones, and with
     * {@code includeStopped} the durable ones at rest too (their root pid is 0).
     */
    public record ListRunning(Caller caller, boolean includeStopped, ActorRef<List<RuntimeInfo>> replyTo) implements Command {
    }

    /** Ends runtime {@code name} if it runs, and removes it and its scratch (a durable one too). */
    public record Remove(Caller caller, String name, ActorRef<StatusReply<Done>> replyTo) implements Command {
    }

    /** Removes tag {@code name}, for its creator or root. */
    public record RemoveTag(Caller caller, String name, ActorRef<StatusReply<Done>> replyTo) implements Command {
    }

    /** Commits the runtime process {@code pid} belongs to. */
    public record Commit(Caller caller, int pid, String tag, String message, ActorRef<StatusReply<Mount.CommitOutcome>> replyTo)
            implements Command {
    }

    public record Diff(Caller caller, int pid, ActorRef<StatusReply<Mount.DiffOutcome>> replyTo) implements Command {
    }

    /** Detaches the tree rooted at {@code pid} (bound with a join) from its runtime. */
    public record Unbind(Caller caller, int pid, ActorRef<StatusReply<String>> replyTo) implements Command {
    }

    public record CreateSnapshot(Caller caller, String runtime, String name, ActorRef<StatusReply<SnapshotMade>> replyTo)
            implements Command {
    }

    /** A new snapshot and how long its capture took. */
    public record SnapshotMade(Snapshot.Info info, long captureMicros) {
    }

    public record ListSnapshots(Caller caller, ActorRef<List<Snapshot.Info>> replyTo) implements Command {
    }

    public record DeleteSnapshot(Caller caller, String name, ActorRef<StatusReply<Snapshot.Info>> replyTo) implements Command {
    }

    public record CreateBranch(Caller caller, String snapshot, String name, ActorRef<StatusReply<Branch>> replyTo) implements Command {
    }

    /** A branch: a durable editable runtime standing on a snapshot. */
    public record Branch(RuntimeRecord record, boolean running) {
    }

    public record ListBranches(Caller caller, ActorRef<List<Branch>> replyTo) implements Command {
    }

    public record DiffBranch(Caller caller, String branch, ActorRef<StatusReply<Mount.DiffOutcome>> replyTo) implements Command {
    }

    public record CommitBranch(Caller caller, String branch, String tag, String message,
                               ActorRef<StatusReply<Mount.CommitOutcome>> replyTo) implements Command {
    }

    public record DeleteBranch(Caller caller, String branch, ActorRef<StatusReply<Done>> replyTo) implements Command {
    }

    /**
     * How far the commit or capture running on a runtime has come: the runtime process {@code pid}
     * belongs to, or with a non-empty {@code runtime}, the one of that name. {@link WorkMeter.Reading#IDLE}
     * when none runs.
     */
    public record Progress(Caller caller, int pid, String runtime, ActorRef<StatusReply<WorkMeter.Reading>> replyTo) implements Command {
    }

    /** For tests and fault injection: the Mount actor of a runtime, if it runs. */
    /**
     * Drains this node (no new runtimes; joins of durable ones still work, running ones finish) or
     * ends draining; answers how many runtimes still run. Sent by the fleet admin, never by a client.
     */
    public record SetDraining(boolean draining, ActorRef<Integer> replyTo) implements Command {
    }

    public record MountOf(String name, ActorRef<Optional<ActorRef<Mount.Command>>> replyTo) implements Command {
    }

    /**
     * What a decided start becomes: the tree of {@code rootPid} gets runtime {@code name} (or joins it).
     * {@code source} serves a read-only runtime; without it the runtime is editable, its record and
     * scratch in {@code dir}. A read-only runtime may have a directory too, for its record, which goes
     * with it. Not plain data (a view source): it never leaves this actor but in tests.
     */
    record Add(String name, int rootPid, String envSpec, List<String> layers, Mount.ViewSource source, Scratch.Setup dir, boolean durable,
               boolean join, OwnerGuard owner, Consumer<StatusReply<RuntimeInfo>> done) implements Command {
        /** A runtime made by this start: an editable one's scratch is empty (a resumed or re-adopted one's may hold changes). */
        boolean fresh() {
            return done == FRESH;
        }
    }

    /** Marks an {@link Add} of a runtime this start made (its reply is sent by the start itself). */
    private static final Consumer<StatusReply<RuntimeInfo>> FRESH = reply -> { };

    /**
     * The owner a command acts as: {@code uid} owns what it starts, and unless {@code anyOwner} (root),
     * it may touch only runtimes and process trees of that uid.
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

    private record RootsExited(Set<ProcessIdentity> dead) implements Command {
    }

    private record MountStopped(String name, ActorRef<Mount.Command> mount) implements Command {
    }

    private enum Poll implements Command { INSTANCE }

    /** Goes on with a command after an answer from another actor, inside this actor. */
    private record Continue(Runnable step) implements Command {
    }

    private record Runtime(RuntimeInfo info, ActorRef<Mount.Command> mount) {
    }

    private final ActorRef<Router.Command> router;
    private final RouteCache routes;
    private final ActorRef<Snapshots.Command> snapshots;
    private final Repository repo;
    private final RuntimeStore store;
    private final ProcessTable processes;
    private final NodeTable nodes;
    private final ExitWatch exits;
    private final long daemonPid = ProcessHandle.current().pid();
    private final Map<String, Runtime> runtimes = new HashMap<>();
    private final Map<ProcessIdentity, String> rootOf = new HashMap<>();
    /** The commit or capture each runtime is busy with, while it runs. */
    private final Map<String, WorkMeter> working = new HashMap<>();
    /** Names being started: claimed before any disk work, released when the start is done or refused. */
    private final Set<String> claimed = new HashSet<>();
    /** Runtimes started with a connection of their own, and whether it is served yet. */
    private final Map<String, Boolean> ownMounts = new HashMap<>();
    /** Each Mount's view in the shared answers. */
    private final Map<ActorRef<Mount.Command>, String> mountViews = new HashMap<>();
    private long incarnations;
    private boolean draining;

    /** {@code routes}: the cache the Router publishes, whose sticky routes this reads to locate a process. */
    public static Behavior<Command> create(ActorRef<Router.Command> router, RouteCache routes, ActorRef<Snapshots.Command> snapshots,
                                           Repository repo, RuntimeStore store, ProcessTable processes, NodeTable nodes) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Runtimes(ctx, timers, router, routes, snapshots, repo, store,
                processes, nodes)));
    }

    private Runtimes(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<Router.Command> router, RouteCache routes,
                     ActorRef<Snapshots.Command> snapshots, Repository repo, RuntimeStore store, ProcessTable processes, NodeTable nodes) {
        super(ctx);
        this.router = router;
        this.routes = routes;
        this.snapshots = snapshots;
        this.repo = repo;
        this.store = store;
        this.processes = processes;
        this.nodes = nodes;
        this.exits = processes.exitWatch();
        if (exits == null) {
            timers.startTimerWithFixedDelay(Poll.INSTANCE, EXIT_CHECK_INTERVAL);
        }
        readoptAll();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Start.class, c -> guarded(c.replyTo(), () -> onStart(c)))
                .onMessage(OwnMountOf.class, c -> guarded(c.replyTo(), () -> onOwnMountOf(c)))
                .onMessage(End.class, c -> guarded(c.replyTo(), () -> onEnd(c)))
                .onMessage(ListRunning.class, this::onListRunning)
                .onMessage(Remove.class, c -> guarded(c.replyTo(), () -> onRemove(c)))
                .onMessage(RemoveTag.class, c -> guarded(c.replyTo(), () -> onRemoveTag(c)))
                .onMessage(Commit.class, c -> guarded(c.replyTo(), () -> onCommit(c)))
                .onMessage(Diff.class, c -> guarded(c.replyTo(), () -> onDiff(c)))
                .onMessage(Unbind.class, c -> guarded(c.replyTo(), () -> onUnbind(c)))
                .onMessage(CreateSnapshot.class, c -> guarded(c.replyTo(), () -> onCreateSnapshot(c)))
                .onMessage(ListSnapshots.class, this::onListSnapshots)
                .onMessage(DeleteSnapshot.class, c -> guarded(c.replyTo(), () -> onDeleteSnapshot(c)))
                .onMessage(CreateBranch.class, c -> guarded(c.replyTo(), () -> onCreateBranch(c)))
                .onMessage(ListBranches.class, this::onListBranches)
                .onMessage(DiffBranch.class, c -> guarded(c.replyTo(), () -> onDiffBranch(c)))
                .onMessage(CommitBranch.class, c -> guarded(c.replyTo(), () -> onCommitBranch(c)))
                .onMessage(DeleteBranch.class, c -> guarded(c.replyTo(), () -> onDeleteBranch(c)))
                .onMessage(Progress.class, c -> guarded(c.replyTo(), () -> onProgress(c)))
                .onMessage(MountOf.class, this::onMountOf)
                .onMessage(SetDraining.class, d -> {
                    draining = d.draining();
                    getContext().getLog().info("{} new runtimes", draining ? "draining: refusing" : "undrained: accepting");
                    d.replyTo().tell(runtimes.size());
                    return this;
                })
                .onMessage(Add.class, a -> {
                    add(a);
                    return this;
                })
                .onMessage(RootsExited.class, this::onRootsExited)
                .onMessage(MountStopped.class, this::onMountStopped)
                .onMessage(Poll.class, p -> onPoll())
                .onMessage(Continue.class, c -> {
                    c.step().run();
                    return this;
                })
                .build();
    }

    /** Runs a handler so that a refusal it throws becomes the command's error answer. */
    private <T> Behavior<Command> guarded(ActorRef<StatusReply<T>> replyTo, Runnable handler) {
        try {
            handler.run();
        } catch (RuntimeException e) {
            replyTo.tell(StatusReply.error(e));
        }
        return this;
    }

    // ---- starting and joining ----

    private void onStart(Start s) {
        if (s.durable() && s.name().isEmpty()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "a durable runtime needs a name (--name), so it can be joined later");
        }
        if (s.join() && s.name().isEmpty()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "join needs the name of the runtime to join");
        }
        if (s.ownMount() && s.join()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "a mount of its own is for a tree that starts a runtime;"
                    + " a tree that joins one sees it through the shared mount");
        }
        if (s.ownMount() && !s.caller().isRoot()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "a mount of its own is made in a mount namespace of its own,"
                    + " which needs root");
        }
        if (draining && !s.join()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DRAINING, "this daemon is draining: it starts no new runtimes until an admin"
                    + " runs strata fleet undrain");
        }
        String name = s.name().isEmpty() ? "run-" + s.rootPid() : ControlRules.checkName("runtime", s.name());
        ControlRules.checkSpec(s.envSpec());
        Optional<ProcessTable.ProcessInfo> process = processes.info(s.rootPid());
        ControlRules.checkMayGiveView(s.caller(), s.rootPid(), process, processes.uids(s.rootPid()), daemonPid);
        RuntimeStore.Root root = new RuntimeStore.Root(s.rootPid(), process.get().identity().startTime());
        if (!s.join()) {
            // bind's own checks, before the record is written: a daemon killed in between must not find
            // a record naming a tree that would have been refused, and adopt it when it starts again
            String current = locate(s.rootPid());
            RuntimeRefused refused = bindRefusal(s.rootPid(), process.get().identity(), OwnerGuard.of(s.caller()),
                    current == null ? null : runtimes.get(current));
            if (refused != null) {
                throw refused;
            }
        }
        if (!claimed.add(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' is being started already");
        }
        Add add;
        try {
            add = prepare(s, name, root, runtimes.containsKey(name));
        } catch (RuntimeException e) {
            claimed.remove(name);
            throw e;
        }
        add(add, reply -> {
            claimed.remove(name);
            if (s.ownMount() && reply.isSuccess()) {
                ownMounts.put(name, false);
            }
            if (s.join() && reply.isSuccess()) {
                rememberRoot(name, root);
            } else if (!s.join() && !reply.isSuccess()) {
                store.deleteRuntime(name); // its record names a tree that was refused: a restart must not bind it
            }
            s.replyTo().tell(reply);
        });
    }

    /** Decides what a start means, from what runs and what is recorded; writes a new runtime's record. */
    private Add prepare(Start s, String name, RuntimeStore.Root root, boolean running) {
        OwnerGuard guard = OwnerGuard.of(s.caller());
        RuntimeRecord existing = store.runtime(name);
        if (s.join()) {
            if (running) {
                return new Add(name, s.rootPid(), "", List.of(), null, null, false, true, guard, null);
            }
            if (existing == null || !existing.durable()) {
                throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime or branch named '" + name
                        + "' to join (a runtime can be joined while it runs; a durable one or a branch also at rest)");
            }
            if (!ControlRules.mayActOn(s.caller(), existing.owner())) {
                throw ControlRules.notOwner("runtime", name, existing.owner());
            }
            return new Add(name, s.rootPid(), existing.envSpec(), existing.layers().stream().map(Digest::hex).toList(), null,
                    claimedSetup(name), true, false, new OwnerGuard(existing.owner(), s.caller().isRoot()), null);
        }
        if (running) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' exists already");
        }
        if (existing != null && existing.durable()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a durable runtime named '" + name
                    + "' exists already: join it with --join " + name);
        }
        List<Repository.ResolvedLayer> resolved = repo.resolveLayers(EnvSpec.parse(s.envSpec()));
        List<String> layers = resolved.stream().map(l -> l.digest().hex()).toList();
        Mount.ViewSource source = viewOf(resolved);
        boolean editable = s.editable() || s.durable();
        // every runtime has a record (a read-only one too), so a restarted daemon can give its trees their view again
        store.create(new RuntimeRecord(name, s.envSpec(), resolved.stream().map(Repository.ResolvedLayer::digest).toList(), editable,
                s.durable(), 0, "", s.caller().uid()), root);
        Scratch.Setup setup;
        try {
            setup = claimedSetup(name);
        } catch (RuntimeException e) {
            store.deleteRuntime(name);
            throw e;
        }
        return new Add(name, s.rootPid(), s.envSpec(), layers, editable ? null : source, setup, s.durable(), false, guard, FRESH);
    }

    /**
     * Whether a path is a directory in the stack a runtime starts on; its view is loaded only when
     * asked (when answers kept for another base are dropped).
     */
    private java.util.function.Predicate<String> directoriesIn(Add a) {
        return a.source() != null ? directoriesIn(a.source()) : directoriesIn(a.dir());
    }

    private java.util.function.Predicate<String> directoriesIn(Scratch.Setup editable) {
        return directoriesIn(() -> Scratch.lower(editable));
    }

    private static java.util.function.Predicate<String> directoriesIn(Mount.ViewSource source) {
        View[] loaded = new View[1];
        return path -> {
            try {
                if (loaded[0] == null) {
                    loaded[0] = source.load();
                }
            } catch (RuntimeException e) {
                return false; // its entry is dropped: the safe side
            }
            int n = loaded[0].manifest().find(path);
            return n != dev.strata.persistence.Manifest.NOT_FOUND && loaded[0].isDirectory(n);
        };
    }

    /** The directory of runtime {@code name}, marked as this incarnation's (an ended namesake's cleanup leaves it alone). */
    private Scratch.Setup claimedSetup(String name) {
        Scratch.Setup setup = setup(name);
        try {
            setup.claim();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the directory of runtime '" + name + "': " + e.getMessage(), e);
        }
        return setup;
    }

    private Scratch.Setup setup(String name) {
        return new Scratch.Setup(store.runtimeDir(name), repo, name + "@" + System.nanoTime());
    }

    /** The view of a stack, loaded once now (proving every manifest readable) and handed to the Mount; loaded again on a restart. */
    private Mount.ViewSource viewOf(List<Repository.ResolvedLayer> resolved) {
        List<Digest> manifests = resolved.stream().map(Repository.ResolvedLayer::manifest).toList();
        Mount.ViewSource source = () -> View.of(manifests.stream().map(repo::manifest).toList(), repo.blobs());
        java.util.concurrent.atomic.AtomicReference<View> first = new java.util.concurrent.atomic.AtomicReference<>(source.load());
        return () -> {
            View loaded = first.getAndSet(null);
            return loaded != null ? loaded : source.load();
        };
    }

    /** Records a bound tree for re-adoption; a runtime that failed to record it still runs. */
    private void rememberRoot(String name, RuntimeStore.Root root) {
        try {
            store.addRoot(name, root);
        } catch (RuntimeException e) {
            getContext().getLog().warn("runtime {} will not be re-adopted after a restart: {}", name, e.getMessage());
        }
    }

    private void add(Add a) {
        add(a, a.done());
    }

    /** Binds the tree of {@code a.rootPid()} to its runtime, starting the runtime's Mount unless it joins one that runs. */
    private void add(Add a, Consumer<StatusReply<RuntimeInfo>> done) {
        if (Router.DEFAULT_VIEW.equals(a.name()) || (runtimes.containsKey(a.name()) && !a.join())) {
            done.accept(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "a runtime named '" + a.name() + "' exists already")));
            return;
        }
        Optional<ProcessTable.ProcessInfo> process = processes.processOf(a.rootPid()).filter(p -> p == a.rootPid())
                .flatMap(processes::info);
        if (process.isEmpty()) {
            done.accept(StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.INVALID,
                    "no process with pid " + a.rootPid() + " (a root pid names a running process, not a thread)")));
            return;
        }
        ProcessIdentity root = process.get().identity();
        String current = locate(a.rootPid());
        done.accept(bind(a, root, current == null ? null : runtimes.get(current)));
    }

    /**
     * The runtime whose view process {@code pid} sees now, as the Router decides it: that of the
     * nearest process in its ancestry that is a bound root or sticks to a runtime. Read here, on this
     * actor's blocking dispatcher, rather than asked of the Router: starting a tree costs no hops.
     */
    private String locate(int pid) {
        return Router.runtimeOf(processes.ancestry(pid), rootOf, routes.sticky(), runtimes::containsKey);
    }

    /** Why the tree of {@code rootPid} may not be bound for {@code owner}, or null. */
    private RuntimeRefused bindRefusal(int rootPid, ProcessIdentity root, OwnerGuard owner, Runtime current) {
        if (rootOf.containsKey(root)) {
            return new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS,
                    "process " + rootPid + " is the root of runtime '" + rootOf.get(root) + "' already");
        }
        if (current != null && !owner.admits(current.info())) {
            return new RuntimeRefused(RuntimeRefused.Reason.DENIED, "process " + rootPid + " is in runtime '"
                    + current.info().name() + "' of uid " + current.info().owner() + ": a process in another user's runtime cannot be taken");
        }
        return null;
    }

    private StatusReply<RuntimeInfo> bind(Add a, ProcessIdentity root, Runtime current) {
        RuntimeRefused refused = bindRefusal(a.rootPid(), root, a.owner(), current);
        if (refused != null) {
            return StatusReply.error(refused);
        }
        Runtime running = runtimes.get(a.name());
        if (running != null && !a.join()) {
            return StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + a.name() + "' exists already"));
        }
        if (running != null) {
            if (!a.owner().admits(running.info())) {
                return StatusReply.error(a.owner().refusal(running.info(), "join"));
            }
            if (ownMounts.containsKey(a.name())) {
                // its tree's kernel keeps all it was told through that connection: changes made here would not show there
                return StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.IN_USE, "runtime '" + a.name()
                        + "' has a mount of its own (--own-mount), which only the tree that started it sees: no tree can join it"));
            }
            bindRoot(root, a.name());
            publishRoutes(Set.of());
            getContext().getLog().info("process {} joined runtime {}", root.pid(), a.name());
            return StatusReply.success(running.info());
        }
        if (a.join()) {
            return StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "runtime '" + a.name() + "' no longer runs"));
        }
        RuntimeInfo info = new RuntimeInfo(a.name(), root, a.envSpec(), a.layers(), Instant.now(), a.source() == null, a.durable(),
                a.owner().uid());
        // a runtime whose scratch may hold changes agrees with no other until its Mount has marked them
        boolean settles = a.source() == null && !a.fresh();
        ActorRef<Mount.Command> mount = spawnMount(a.name(), settles ? null : a.layers(), a.source() == null, directoriesIn(a),
                viewId -> a.source() == null ? Mount.editable(a.dir(), nodes, processes, viewId)
                        : Mount.readOnly(a.source(), a.dir(), nodes, processes, viewId));
        runtimes.put(a.name(), new Runtime(info, mount));
        bindRoot(root, a.name());
        publishRoutes(Set.of());
        getContext().getLog().info("runtime {} mounted for process {} with {}", a.name(), root.pid(), a.envSpec());
        return StatusReply.success(info);
    }

    /**
     * Spawns a runtime's Mount as view {@code name-N}, joined to the shared answers first, so that
     * answers the kernel kept for another base are gone before the runtime's processes may use the
     * mount. {@code layers} null: the view joins unsettled, agreeing with none until its Mount has
     * marked its scratch's changes and joins on its stack itself.
     */
    private ActorRef<Mount.Command> spawnMount(String name, List<String> layers, boolean editable,
                                               java.util.function.Predicate<String> directories,
                                               java.util.function.Function<String, Behavior<Mount.Command>> behavior) {
        // a stopped Mount keeps its name until it has terminated: a runtime started again at once needs another
        String viewId = name + "-" + (++incarnations);
        nodes.answers().join(viewId, layers != null ? layers : List.of("unsettled " + viewId), directories, editable);
        Behavior<Mount.Command> supervised = Behaviors.supervise(behavior.apply(viewId))
                .onFailure(SupervisorStrategy.restart().withLimit(20, Duration.ofMinutes(1)));
        ActorRef<Mount.Command> mount = getContext().spawn(supervised, "mount-" + viewId,
                DispatcherSelector.fromConfig("strata.mount-dispatcher"));
        mountViews.put(mount, viewId);
        getContext().watchWith(mount, new MountStopped(name, mount));
        return mount;
    }

    /** Binds a root to its runtime; the runtime hears of the root's exit from the kernel (or, lacking that, by polling). */
    private void bindRoot(ProcessIdentity root, String runtime) {
        rootOf.put(root, runtime);
        if (exits != null) {
            ActorRef<Command> self = getContext().getSelf();
            exits.watch(root, () -> self.tell(new RootsExited(Set.of(root))));
        }
    }

    /** Hands the Router a copy of the route table; {@code resolveAgain}: runtimes whose sticky processes must resolve again. */
    private void publishRoutes(Set<String> resolveAgain) {
        Map<String, ActorRef<Mount.Command>> mounts = new HashMap<>();
        runtimes.forEach((name, r) -> mounts.put(name, r.mount()));
        router.tell(new Router.Routes(rootOf, mounts, resolveAgain));
        routes.publishCensus(runtimes.values().stream().map(Runtime::info).toList());
    }

    // ---- re-adoption after a restart ----

    /**
     * After a daemon restart: runtimes whose process trees still run are given back to them (their
     * scratch, replayed from its journal, and their view on every new lookup); a runtime whose every
     * tree is gone is cleaned up, unless it is durable.
     */
    private void readoptAll() {
        for (RuntimeRecord record : store.runtimes()) {
            List<RuntimeStore.Root> alive = store.roots(record.name()).stream()
                    .filter(r -> processes.isAlive(new ProcessIdentity(r.pid(), r.startTime()))).toList();
            if (!alive.isEmpty()) {
                claimed.add(record.name());
                readopt(record, alive, 0, false);
            } else if (!record.durable()) {
                getContext().getLog().info("removing runtime {}: its processes ended while no daemon ran", record.name());
                store.deleteRuntime(record.name());
            }
        }
    }

    private void readopt(RuntimeRecord record, List<RuntimeStore.Root> roots, int next, boolean started) {
        if (next == roots.size()) {
            claimed.remove(record.name());
            return;
        }
        int pid = roots.get(next).pid();
        OwnerGuard guard = new OwnerGuard(record.owner(), true);
        Add add;
        if (started) {
            add = new Add(record.name(), pid, "", List.of(), null, null, false, true, guard, null);
        } else {
            try {
                Mount.ViewSource source = record.editable() ? null : viewOf(repo.resolveLayers(record.stack()));
                add = new Add(record.name(), pid, record.envSpec(), record.layers().stream().map(Digest::hex).toList(), source,
                        claimedSetup(record.name()), record.durable(), false, guard, null);
            } catch (RuntimeException e) {
                getContext().getLog().warn("cannot re-adopt runtime {}: {}", record.name(), e.toString());
                claimed.remove(record.name());
                return;
            }
        }
        add(add, reply -> {
            if (reply.isSuccess()) {
                getContext().getLog().info("re-adopted process {} into runtime {}", pid, record.name());
            } else {
                getContext().getLog().warn("could not re-adopt process {} into runtime {}: {}", pid, record.name(), reply.getError().getMessage());
            }
            readopt(record, roots, next + 1, started || reply.isSuccess());
        });
    }

    // ---- ending ----

    private void onEnd(End e) {
        e.replyTo().tell(remove(ControlRules.checkName("runtime", e.name()), OwnerGuard.of(e.caller())));
    }

    private StatusReply<RuntimeInfo> remove(String name, OwnerGuard guard) {
        Runtime runtime = runtimes.get(name);
        if (runtime == null) {
            return StatusReply.error(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + name + "'"));
        }
        if (!guard.admits(runtime.info())) {
            return StatusReply.error(guard.refusal(runtime.info(), "end"));
        }
        end(name);
        return StatusReply.success(runtime.info());
    }

    private void end(String name) {
        Runtime runtime = runtimes.remove(name);
        if (runtime == null) {
            return;
        }
        rootOf.values().removeIf(name::equals);
        ownMounts.remove(name);
        publishRoutes(Set.of());
        getContext().stop(runtime.mount());
        getContext().getLog().info("runtime {} ended", name);
    }

    /** A runtime no process tree is bound to any more ends (one started just for an operation, or one unbound). */
    private void endIfIdle(String name) {
        if (runtimes.containsKey(name) && !rootOf.containsValue(name)) {
            end(name);
        }
    }

    private Behavior<Command> onRootsExited(RootsExited r) {
        for (ProcessIdentity dead : r.dead()) {
            String runtime = rootOf.remove(dead);
            if (runtime != null && !rootOf.containsValue(runtime)) {
                if (!working.containsKey(runtime)) {
                    end(runtime); // its last root tree is gone
                } // else a commit or snapshot runs: it ends the runtime when it is done (endIfIdle)
            } else if (runtime != null) {
                publishRoutes(Set.of());
            }
        }
        return this;
    }

    private Behavior<Command> onPoll() {
        Set<ProcessIdentity> dead = new HashSet<>();
        for (ProcessIdentity root : rootOf.keySet()) {
            if (!processes.isAlive(root)) {
                dead.add(root);
            }
        }
        return dead.isEmpty() ? this : onRootsExited(new RootsExited(dead));
    }

    private Behavior<Command> onMountStopped(MountStopped s) {
        String viewId = mountViews.remove(s.mount());
        if (viewId != null) {
            nodes.answers().leave(viewId); // its Mount leaves as it stops; this covers one that never started
        }
        // a Mount that stopped on its own (restart limit exceeded) takes its runtime with it; a runtime of
        // the same name started since then is another one
        Runtime runtime = runtimes.get(s.name());
        if (runtime != null && runtime.mount().equals(s.mount())) {
            end(s.name());
        }
        return this;
    }

    private void onOwnMountOf(OwnMountOf o) {
        Runtime runtime = runtimes.get(o.name());
        Boolean served = ownMounts.get(o.name());
        if (runtime == null || served == null) {
            throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no running runtime '" + o.name() + "' was started with a mount of its own");
        }
        if (!o.caller().isRoot() || runtime.info().root().pid() != o.caller().pid()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "only the process that started runtime '" + o.name()
                    + "' hands over its own mount");
        }
        if (served) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "runtime '" + o.name() + "' has its own mount served already");
        }
        ownMounts.put(o.name(), true);
        o.replyTo().tell(StatusReply.success(new OwnMountTarget(runtime.mount(), runtime.info().editable())));
    }

    private Behavior<Command> onMountOf(MountOf m) {
        Runtime r = runtimes.get(m.name());
        m.replyTo().tell(Optional.ofNullable(r == null ? null : r.mount()));
        return this;
    }

    private Behavior<Command> onListRunning(ListRunning l) {
        List<RuntimeInfo> out = new ArrayList<>(runtimes.values().stream().map(Runtime::info).toList());
        if (l.includeStopped()) {
            for (RuntimeRecord r : store.runtimes()) {
                if (r.durable() && !runtimes.containsKey(r.name())) {
                    out.add(new RuntimeInfo(r.name(), new ProcessIdentity(0, 0), r.envSpec(), r.layers().stream().map(Digest::hex).toList(),
                            Instant.EPOCH, r.editable(), true, r.owner()));
                }
            }
        }
        l.replyTo().tell(out.stream().filter(r -> ControlRules.mayActOn(l.caller(), r.owner()))
                .sorted(Comparator.comparing(RuntimeInfo::name)).toList());
        return this;
    }

    private void onRemove(Remove r) {
        String name = ControlRules.checkName("runtime", r.name());
        RuntimeRecord record = store.runtime(name);
        if (record != null && record.isBranch()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.IN_USE, "'" + name + "' is a branch: remove it with strata branch delete " + name);
        }
        if (record != null && !ControlRules.mayActOn(r.caller(), record.owner())) {
            throw ControlRules.notOwner("runtime", name, record.owner());
        }
        if (claimed.contains(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.IN_USE, "runtime '" + name + "' is being started");
        }
        StatusReply<RuntimeInfo> ended = remove(name, OwnerGuard.of(r.caller()));
        if (ended.isError() && (record == null || !(ended.getError() instanceof RuntimeRefused x && x.reason() == RuntimeRefused.Reason.NOT_FOUND))) {
            r.replyTo().tell(StatusReply.error(ended.getError()));
            return;
        }
        store.deleteRuntime(name);
        getContext().getLog().info("runtime {} removed", name);
        r.replyTo().tell(StatusReply.success(Done.getInstance()));
    }

    private void onRemoveTag(RemoveTag t) {
        if (t.name().isEmpty() || !dev.strata.persistence.TagStore.isValidName(t.name())) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "invalid tag name '" + ControlRules.quote(t.name()) + "'");
        }
        repo.tags().remove(t.name(), t.caller().uid());
        t.replyTo().tell(StatusReply.success(Done.getInstance()));
    }

    // ---- operations on a runtime: commit, diff, capture, unbind ----

    /**
     * The runtime an operation is for: the one process {@code pid} belongs to, or the one named
     * {@code name}; a named runtime that is not running is started from {@code ifStopped} (with its
     * recorded owner) for the operation and ended after it.
     */
    private record Target(int pid, String name, Scratch.Setup ifStopped, int stoppedOwner, OwnerGuard guard) {
        static Target ofProcess(int pid, OwnerGuard guard) {
            return new Target(pid, null, null, Caller.ROOT, guard);
        }

        static Target named(String name, Scratch.Setup ifStopped, int owner, OwnerGuard guard) {
            return new Target(0, name, ifStopped, owner, guard);
        }
    }

    /** Runs {@code op} on the target's runtime (inside this actor), or answers the refusal. */
    private void withTarget(Target target, Consumer<Runtime> op, Consumer<RuntimeRefused> refused) {
        Consumer<Runtime> guarded = runtime -> {
            if (target.guard().admits(runtime.info())) {
                op.accept(runtime);
            } else {
                refused.accept(target.guard().refusal(runtime.info(), "act on"));
            }
        };
        if (target.name() == null) {
            String located = locate(target.pid());
            Runtime runtime = located == null ? null : runtimes.get(located);
            if (runtime != null) {
                guarded.accept(runtime);
            } else {
                refused.accept(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "process " + target.pid() + " is in no runtime"));
            }
            return;
        }
        Runtime running = runtimes.get(target.name());
        if (running == null && target.ifStopped() != null) {
            RuntimeInfo info = new RuntimeInfo(target.name(), new ProcessIdentity(0, 0), "", List.of(), Instant.now(), true, true,
                    target.stoppedOwner());
            Scratch.Setup stopped = target.ifStopped();
            running = new Runtime(info, spawnMount(target.name(), null, true, directoriesIn(stopped),
                    viewId -> Mount.editable(stopped, nodes, processes, viewId)));
            runtimes.put(target.name(), running);
            publishRoutes(Set.of());
        }
        if (running == null) {
            refused.accept(new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + target.name() + "'"));
        } else {
            guarded.accept(running);
        }
    }

    private void commit(Target target, String tag, String message, int by, ActorRef<StatusReply<Mount.CommitOutcome>> replyTo) {
        ControlRules.checkTag(tag);
        ControlRules.checkMessage(message);
        withTarget(target, runtime -> {
            WorkMeter meter = meterFor(runtime.info().name());
            ask(runtime.mount(), (ActorRef<Mount.CommitOutcome> ref) -> new Mount.Commit(tag, message, by, meter, ref), LONG,
                (outcome, failure) -> {
                    working.remove(runtime.info().name(), meter);
                    if (failure != null) {
                        replyTo.tell(StatusReply.error(failure));
                    } else {
                        Runtime now = runtimes.get(runtime.info().name());
                        if (now != null && outcome.layer() != null) {
                            runtimes.put(now.info().name(), new Runtime(now.info().withLayers(outcome.layers()), now.mount()));
                        }
                        replyTo.tell(StatusReply.success(outcome));
                    }
                    endIfIdle(runtime.info().name());
                });
        }, refusal -> replyTo.tell(StatusReply.error(refusal)));
    }

    private void diff(Target target, ActorRef<StatusReply<Mount.DiffOutcome>> replyTo) {
        withTarget(target, runtime -> ask(runtime.mount(), Mount.Diff::new, Duration.ofSeconds(30), (outcome, failure) -> {
            replyTo.tell(failure != null ? StatusReply.error(failure) : StatusReply.success(outcome));
            endIfIdle(runtime.info().name());
        }), refusal -> replyTo.tell(StatusReply.error(refusal)));
    }

    private void onCommit(Commit c) {
        commit(Target.ofProcess(c.pid(), OwnerGuard.of(c.caller())), c.tag(), c.message(), c.caller().uid(), c.replyTo());
    }

    /** A new meter for work on runtime {@code name}, readable through {@link Progress} while it runs. */
    private WorkMeter meterFor(String name) {
        WorkMeter meter = new WorkMeter();
        working.put(name, meter);
        return meter;
    }

    /** The same rule as the work it reports on: the runtime's owner, or root. */
    private void onProgress(Progress p) {
        Consumer<Runtime> answer = runtime -> p.replyTo().tell(StatusReply.success(
                working.containsKey(runtime.info().name()) ? working.get(runtime.info().name()).read() : WorkMeter.Reading.IDLE));
        Consumer<RuntimeRefused> refused = refusal -> p.replyTo().tell(StatusReply.error(refusal));
        OwnerGuard guard = OwnerGuard.of(p.caller());
        if (p.runtime().isEmpty()) {
            withTarget(Target.ofProcess(p.pid(), guard), answer, refused);
            return;
        }
        String name = ControlRules.checkName("runtime", p.runtime());
        Runtime running = runtimes.get(name);
        if (running == null) {
            RuntimeRecord record = store.runtime(name);
            if (record == null) {
                throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + name + "'");
            }
            if (!ControlRules.mayActOn(p.caller(), record.owner())) {
                throw ControlRules.notOwner("runtime", name, record.owner());
            }
            p.replyTo().tell(StatusReply.success(WorkMeter.Reading.IDLE)); // at rest: nothing runs on it
            return;
        }
        if (!guard.admits(running.info())) {
            throw guard.refusal(running.info(), "watch");
        }
        answer.accept(running);
    }

    private void onDiff(Diff d) {
        diff(Target.ofProcess(d.pid(), OwnerGuard.of(d.caller())), d.replyTo());
    }

    private void onUnbind(Unbind u) {
        ProcessIdentity root = processes.info(u.pid()).map(ProcessTable.ProcessInfo::identity).orElse(null);
        String name = root == null ? null : rootOf.get(root);
        if (name == null) {
            throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "process " + u.pid() + " is not the root of a bound tree");
        }
        OwnerGuard guard = OwnerGuard.of(u.caller());
        if (!guard.admits(runtimes.get(name).info())) {
            throw guard.refusal(runtimes.get(name).info(), "unbind a process tree from");
        }
        rootOf.remove(root);
        store.removeRoot(name, new RuntimeStore.Root(root.pid(), root.startTime()));
        // its descendants resolved to the runtime through it: they ask again, as does every other thread
        publishRoutes(Set.of(name));
        getContext().getLog().info("process {} unbound from runtime {}", u.pid(), name);
        endIfIdle(name);
        u.replyTo().tell(StatusReply.success(name));
    }

    // ---- snapshots ----

    private void onCreateSnapshot(CreateSnapshot c) {
        String runtime = ControlRules.checkName("runtime", c.runtime());
        String name = c.name().isEmpty() ? runtime + "-" + System.currentTimeMillis() : ControlRules.checkName("snapshot", c.name());
        if (store.snapshotExists(name) || !claimed.add("snapshot/" + name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a snapshot named '" + name + "' exists already");
        }
        RuntimeRecord record = store.runtime(runtime);
        OwnerGuard guard = OwnerGuard.of(c.caller());
        Target target = record != null && record.durable() ? Target.named(runtime, setup(runtime), record.owner(), guard)
                : Target.named(runtime, null, Caller.ROOT, guard);
        long start = System.nanoTime();
        Consumer<Throwable> failed = e -> {
            claimed.remove("snapshot/" + name);
            c.replyTo().tell(StatusReply.error(e));
        };
        withTarget(target, running -> {
            WorkMeter meter = meterFor(running.info().name());
            ask(running.mount(), (ActorRef<Mount.CaptureOutcome> ref) -> new Mount.Capture(name, store.snapshotDir(name), meter, ref), LONG,
                (captured, failure) -> {
                    working.remove(running.info().name(), meter);
                    long micros = (System.nanoTime() - start) / 1000;
                    endIfIdle(running.info().name());
                    if (failure != null || captured.error() != null) {
                        failed.accept(failure != null ? failure : new RuntimeRefused(RuntimeRefused.Reason.IN_USE, captured.error()));
                        return;
                    }
                    ask(snapshots, (ActorRef<StatusReply<Snapshot.Info>> ref) -> new Snapshots.Add(captured.snapshot(), ref), ASK,
                            (added, err) -> {
                                claimed.remove("snapshot/" + name);
                                if (err != null || added.isError()) {
                                    c.replyTo().tell(StatusReply.error(err != null ? err : added.getError()));
                                } else {
                                    c.replyTo().tell(StatusReply.success(new SnapshotMade(added.getValue(), micros)));
                                }
                            });
                });
        }, failed::accept);
    }

    private Behavior<Command> onListSnapshots(ListSnapshots l) {
        ask(snapshots, Snapshots.ListAll::new, ASK, (all, failure) -> l.replyTo().tell(all == null ? List.of()
                : all.stream().filter(s -> ControlRules.mayActOn(l.caller(), s.record().owner())).toList()));
        return this;
    }

    private void onDeleteSnapshot(DeleteSnapshot d) {
        String name = ControlRules.checkName("snapshot", d.name());
        withSnapshot(d.caller(), name, d.replyTo(), info -> snapshots.tell(new Snapshots.Delete(name, d.replyTo())));
    }

    /** Finds snapshot {@code name} and goes on when the caller may act on it; answers the refusal otherwise. */
    private <T> void withSnapshot(Caller caller, String name, ActorRef<StatusReply<T>> replyTo, Consumer<Snapshot.Info> then) {
        ask(snapshots, (ActorRef<StatusReply<Snapshot.Info>> ref) -> new Snapshots.Find(name, ref), ASK, (found, failure) -> {
            if (failure != null || found.isError()) {
                replyTo.tell(StatusReply.error(failure != null ? failure : found.getError()));
            } else if (!ControlRules.mayActOn(caller, found.getValue().record().owner())) {
                replyTo.tell(StatusReply.error(ControlRules.notOwner("snapshot", name, found.getValue().record().owner())));
            } else {
                try {
                    then.accept(found.getValue());
                } catch (RuntimeException e) {
                    replyTo.tell(StatusReply.error(e));
                }
            }
        });
    }

    // ---- branches ----

    private void onCreateBranch(CreateBranch c) {
        String snapshot = ControlRules.checkName("snapshot", c.snapshot());
        String requested = c.name().isEmpty() ? null : ControlRules.checkName("branch", c.name());
        withSnapshot(c.caller(), snapshot, c.replyTo(), info -> {
            String name = requested != null ? requested : store.freeBranchName(snapshot);
            if (claimed.contains(name) || runtimes.containsKey(name)) {
                throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' exists already");
            }
            RuntimeRecord record = new RuntimeRecord(name, "snapshot " + snapshot, info.record().layers(), true, true, 0, snapshot,
                    c.caller().uid());
            store.createBranch(record);
            snapshots.tell(new Snapshots.BranchAdded(snapshot, name));
            c.replyTo().tell(StatusReply.success(new Branch(record, false)));
        });
    }

    private Behavior<Command> onListBranches(ListBranches l) {
        l.replyTo().tell(store.runtimes().stream().filter(RuntimeRecord::isBranch).filter(r -> ControlRules.mayActOn(l.caller(), r.owner()))
                .map(r -> new Branch(r, runtimes.containsKey(r.name()))).toList());
        return this;
    }

    private void onDiffBranch(DiffBranch d) {
        diff(branchTarget(d.caller(), d.branch()), d.replyTo());
    }

    private void onCommitBranch(CommitBranch c) {
        commit(branchTarget(c.caller(), c.branch()), c.tag(), c.message(), c.caller().uid(), c.replyTo());
    }

    private void onDeleteBranch(DeleteBranch d) {
        Target target = branchTarget(d.caller(), d.branch());
        RuntimeRecord record = store.runtime(target.name());
        remove(target.name(), target.guard()); // ended, or not running: either way its record and scratch go now
        store.deleteRuntime(record.name());
        snapshots.tell(new Snapshots.BranchRemoved(record.snapshot(), record.name()));
        d.replyTo().tell(StatusReply.success(Done.getInstance()));
    }

    /** The branch named {@code name}, for an operation by {@code caller}: NOT_FOUND for anything but a branch. */
    private Target branchTarget(Caller caller, String name) {
        ControlRules.checkName("branch", name);
        RuntimeRecord record = store.runtime(name);
        if (record == null || !record.isBranch()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no branch named '" + name + "'");
        }
        if (!ControlRules.mayActOn(caller, record.owner())) {
            throw ControlRules.notOwner("branch", name, record.owner());
        }
        return Target.named(name, setup(name), record.owner(), OwnerGuard.of(caller));
    }

    /** Asks another actor and continues with its answer (or the failure) inside this actor. */
    @SuppressWarnings("unchecked")
    private <Q, A> void ask(ActorRef<Q> target, Function<ActorRef<A>, Q> request, Duration timeout, BiConsumer<A, Throwable> then) {
        getContext().ask((Class<A>) (Class<?>) Object.class, target, timeout, request::apply,
                (answer, failure) -> new Continue(() -> then.accept(answer, failure)));
    }
}
