package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.View;
import dev.strata.persistence.Digest;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.RuntimeStore;
import dev.strata.persistence.SnapshotRecord;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The one owner of the runtime lifecycle: it decides names, claims them, starts, joins and ends
 * runtimes, commits and captures them, creates and deletes branches and snapshots, and holds the
 * owner check ({@link ControlRules}) for each. Commands are plain data carrying the caller's
 * kernel-attested identity. A name is claimed here before any disk work and released only when the
 * Router has answered, so two starts of one name can never both touch its directory. It runs on the
 * blocking dispatcher: its disk work (records, through {@link RuntimeStore}) is short and serialized.
 * The Router executes what is decided here, applying the owner guard in the same message.
 */
public final class Runtimes extends AbstractBehavior<Runtimes.Command> {
    private static final Duration ASK = Duration.ofSeconds(10);
    private static final Duration LONG = Duration.ofMinutes(30);

    public sealed interface Command permits Start, End, ListRunning, Remove, RemoveTag, Commit, Diff, Unbind, CreateSnapshot, ListSnapshots,
            DeleteSnapshot, CreateBranch, ListBranches, DiffBranch, CommitBranch, DeleteBranch, Continue {
    }

    /**
     * Gives the tree of {@code rootPid} a runtime: a new one named {@code name} (chosen from the pid when
     * empty) on {@code envSpec}, or, with {@code join}, the running or durable runtime {@code name}.
     */
    public record Start(Caller caller, String name, int rootPid, String envSpec, boolean editable, boolean durable, boolean join,
                        ActorRef<StatusReply<RuntimeInfo>> replyTo) implements Command {
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

    /** Goes on with a command after an answer from another actor, inside this actor. */
    private record Continue(Runnable step) implements Command {
    }

    private final ActorRef<Router.Command> router;
    private final ActorRef<Snapshots.Command> snapshots;
    private final Repository repo;
    private final RuntimeStore store;
    private final ProcessTable processes;
    private final long daemonPid = ProcessHandle.current().pid();
    /** Names being started: claimed before any disk work, released when the Router has answered. */
    private final Set<String> claimed = new HashSet<>();

    public static Behavior<Command> create(ActorRef<Router.Command> router, ActorRef<Snapshots.Command> snapshots, Repository repo,
                                           RuntimeStore store, ProcessTable processes) {
        return Behaviors.setup(ctx -> new Runtimes(ctx, router, snapshots, repo, store, processes));
    }

    private Runtimes(ActorContext<Command> ctx, ActorRef<Router.Command> router, ActorRef<Snapshots.Command> snapshots, Repository repo,
                     RuntimeStore store, ProcessTable processes) {
        super(ctx);
        this.router = router;
        this.snapshots = snapshots;
        this.repo = repo;
        this.store = store;
        this.processes = processes;
        readoptAll();
    }

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
        Router.OwnerGuard guard = new Router.OwnerGuard(record.owner(), true);
        List<String> layers = record.layers().stream().map(Digest::hex).toList();
        Router.AddRuntime add;
        if (started) {
            add = new Router.AddRuntime(record.name(), pid, "", List.of(), null, null, false, true, guard, null);
        } else {
            Scratch.Setup setup = setup(record.name());
            try {
                setup.claim();
                Mount.ViewSource source = record.editable() ? null : viewOf(repo.resolveLayers(record.stack()));
                add = new Router.AddRuntime(record.name(), pid, record.envSpec(), layers, source, setup, record.durable(), false, guard, null);
            } catch (java.io.IOException | RuntimeException e) {
                getContext().getLog().warn("cannot re-adopt runtime {}: {}", record.name(), e.toString());
                claimed.remove(record.name());
                return;
            }
        }
        ask(router, (ActorRef<StatusReply<RuntimeInfo>> ref) -> withReplyTo(add, ref), ASK, (reply, failure) -> {
            boolean ok = failure == null && reply.isSuccess();
            if (ok) {
                getContext().getLog().info("re-adopted process {} into runtime {}", pid, record.name());
            } else {
                getContext().getLog().warn("could not re-adopt process {} into runtime {}: {}", pid, record.name(),
                        failure != null ? failure.toString() : reply.getError().getMessage());
            }
            readopt(record, roots, next + 1, started || ok);
        });
    }

    private Mount.ViewSource viewOf(List<Repository.ResolvedLayer> resolved) {
        List<Digest> manifests = resolved.stream().map(Repository.ResolvedLayer::manifest).toList();
        Mount.ViewSource source = () -> View.of(manifests.stream().map(repo::manifest).toList(), repo.blobs());
        source.load(); // proves every manifest is readable before the runtime exists
        return source;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Start.class, c -> guarded(c.replyTo(), () -> onStart(c)))
                .onMessage(End.class, this::onEnd)
                .onMessage(ListRunning.class, this::onListRunning)
                .onMessage(Remove.class, c -> guarded(c.replyTo(), () -> onRemove(c)))
                .onMessage(RemoveTag.class, c -> guarded(c.replyTo(), () -> onRemoveTag(c)))
                .onMessage(Commit.class, c -> guarded(c.replyTo(), () -> onCommit(c)))
                .onMessage(Diff.class, this::onDiff)
                .onMessage(Unbind.class, this::onUnbind)
                .onMessage(CreateSnapshot.class, c -> guarded(c.replyTo(), () -> onCreateSnapshot(c)))
                .onMessage(ListSnapshots.class, this::onListSnapshots)
                .onMessage(DeleteSnapshot.class, c -> guarded(c.replyTo(), () -> onDeleteSnapshot(c)))
                .onMessage(CreateBranch.class, c -> guarded(c.replyTo(), () -> onCreateBranch(c)))
                .onMessage(ListBranches.class, this::onListBranches)
                .onMessage(DiffBranch.class, c -> guarded(c.replyTo(), () -> onDiffBranch(c)))
                .onMessage(CommitBranch.class, c -> guarded(c.replyTo(), () -> onCommitBranch(c)))
                .onMessage(DeleteBranch.class, c -> guarded(c.replyTo(), () -> onDeleteBranch(c)))
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

    // ---- runtimes ----

    private void onStart(Start s) {
        if (s.durable() && s.name().isEmpty()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "a durable runtime needs a name (--name), so it can be joined later");
        }
        if (s.join() && s.name().isEmpty()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "join needs the name of the runtime to join");
        }
        String name = s.name().isEmpty() ? "run-" + s.rootPid() : ControlRules.checkName("runtime", s.name());
        ControlRules.checkSpec(s.envSpec());
        java.util.Optional<ProcessTable.ProcessInfo> process = processes.info(s.rootPid());
        ControlRules.checkMayGiveView(s.caller(), s.rootPid(), process, processes.uids(s.rootPid()), daemonPid);
        RuntimeStore.Root root = new RuntimeStore.Root(s.rootPid(), process.get().identity().startTime());
        if (!claimed.add(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' is being started already");
        }
        ask(router, Router.ListRuntimes::new, ASK, (running, failure) -> {
            try {
                if (failure != null) {
                    throw new IllegalStateException("the router did not answer: " + failure.getMessage());
                }
                boolean isRunning = running.stream().anyMatch(r -> r.name().equals(name));
                Router.AddRuntime add = prepare(s, name, isRunning);
                ask(router, (ActorRef<StatusReply<RuntimeInfo>> ref) -> withReplyTo(add, ref), ASK, (reply, err) -> {
                    claimed.remove(name);
                    if (err == null && reply.isSuccess()) {
                        rememberRoot(name, root);
                    }
                    s.replyTo().tell(err != null ? StatusReply.error(err) : reply);
                });
            } catch (RuntimeException e) {
                claimed.remove(name);
                s.replyTo().tell(StatusReply.error(e));
            }
        });
    }

    /** Records a bound tree for re-adoption; a runtime that failed to record it still runs. */
    private void rememberRoot(String name, RuntimeStore.Root root) {
        try {
            store.addRoot(name, root);
        } catch (RuntimeException e) {
            getContext().getLog().warn("runtime {} will not be re-adopted after a restart: {}", name, e.getMessage());
        }
    }

    private static Router.AddRuntime withReplyTo(Router.AddRuntime a, ActorRef<StatusReply<RuntimeInfo>> replyTo) {
        return new Router.AddRuntime(a.name(), a.rootPid(), a.envSpec(), a.layers(), a.source(), a.scratch(), a.durable(), a.join(),
                a.owner(), replyTo);
    }

    /** Decides what a start means, from what runs and what is recorded; writes a new editable runtime's record. */
    private Router.AddRuntime prepare(Start s, String name, boolean running) {
        Router.OwnerGuard guard = Router.OwnerGuard.of(s.caller());
        RuntimeRecord existing = store.runtime(name);
        if (s.join()) {
            if (running) {
                return new Router.AddRuntime(name, s.rootPid(), "", List.of(), null, null, false, true, guard, null);
            }
            if (existing == null || !existing.durable()) {
                throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + name
                        + "' to join: a runtime can be joined while it runs, or later when it was started --durable");
            }
            if (!ControlRules.mayActOn(s.caller(), existing.owner())) {
                throw ControlRules.notOwner("runtime", name, existing.owner());
            }
            return new Router.AddRuntime(name, s.rootPid(), existing.envSpec(), existing.layers().stream().map(Digest::hex).toList(), null,
                    setup(name), true, false, new Router.OwnerGuard(existing.owner(), s.caller().isRoot()), null);
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
        Scratch.Setup setup = setup(name);
        store.create(new RuntimeRecord(name, s.envSpec(), resolved.stream().map(Repository.ResolvedLayer::digest).toList(), editable,
                s.durable(), 0, "", s.caller().uid()));
        try {
            setup.claim();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the directory of runtime '" + name + "': " + e.getMessage(), e);
        }
        return new Router.AddRuntime(name, s.rootPid(), s.envSpec(), layers, editable ? null : source, setup, s.durable(), false, guard, null);
    }

    private Scratch.Setup setup(String name) {
        return new Scratch.Setup(store.runtimeDir(name), repo, name + "@" + System.nanoTime());
    }

    private Behavior<Command> onEnd(End e) {
        router.tell(new Router.RemoveRuntime(e.name(), Router.OwnerGuard.of(e.caller()), e.replyTo()));
        return this;
    }

    private Behavior<Command> onListRunning(ListRunning l) {
        ask(router, Router.ListRuntimes::new, ASK, (running, failure) -> {
            List<RuntimeInfo> out = new java.util.ArrayList<>(running == null ? List.of() : running);
            if (l.includeStopped()) {
                Set<String> live = new HashSet<>(out.stream().map(RuntimeInfo::name).toList());
                for (RuntimeRecord r : store.runtimes()) {
                    if (r.durable() && !live.contains(r.name())) {
                        out.add(new RuntimeInfo(r.name(), new ProcessIdentity(0, 0), r.envSpec(), r.layers().stream().map(Digest::hex).toList(),
                                java.time.Instant.EPOCH, r.editable(), true, r.owner()));
                    }
                }
            }
            l.replyTo().tell(out.stream().filter(r -> visible(l.caller(), r.owner()))
                    .sorted(java.util.Comparator.comparing(RuntimeInfo::name)).toList());
        });
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
        if (!claimed.add(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.IN_USE, "runtime '" + name + "' is being started");
        }
        ask(router, (ActorRef<StatusReply<RuntimeInfo>> ref) -> new Router.RemoveRuntime(name, Router.OwnerGuard.of(r.caller()), ref), ASK,
                (ended, failure) -> {
                    claimed.remove(name);
                    RuntimeRefused refusal = failure == null && ended.isError() && ended.getError() instanceof RuntimeRefused x ? x : null;
                    if (failure != null || (refusal != null && refusal.reason() != RuntimeRefused.Reason.NOT_FOUND)) {
                        r.replyTo().tell(StatusReply.error(failure != null ? failure : refusal));
                    } else if (refusal != null && record == null) {
                        r.replyTo().tell(StatusReply.error(refusal)); // neither running nor recorded
                    } else {
                        store.deleteRuntime(name);
                        getContext().getLog().info("runtime {} removed", name);
                        r.replyTo().tell(StatusReply.success(Done.getInstance()));
                    }
                });
    }

    private void onRemoveTag(RemoveTag t) {
        if (t.name().isEmpty() || !dev.strata.persistence.TagStore.isValidName(t.name())) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "invalid tag name '" + ControlRules.quote(t.name()) + "'");
        }
        repo.tags().remove(t.name(), t.caller().uid());
        t.replyTo().tell(StatusReply.success(Done.getInstance()));
    }

    private static boolean visible(Caller caller, int owner) {
        return ControlRules.mayActOn(caller, owner);
    }

    private void onCommit(Commit c) {
        ControlRules.checkTag(c.tag());
        ControlRules.checkMessage(c.message());
        router.tell(new Router.CommitRuntime(Router.Target.ofProcess(c.pid(), Router.OwnerGuard.of(c.caller())), c.tag(), c.message(),
                c.caller().uid(), c.replyTo()));
    }

    private Behavior<Command> onDiff(Diff d) {
        router.tell(new Router.DiffRuntime(Router.Target.ofProcess(d.pid(), Router.OwnerGuard.of(d.caller())), d.replyTo()));
        return this;
    }

    private Behavior<Command> onUnbind(Unbind u) {
        java.util.Optional<ProcessTable.ProcessInfo> process = processes.info(u.pid());
        ask(router, (ActorRef<StatusReply<String>> ref) -> new Router.Unbind(u.pid(), Router.OwnerGuard.of(u.caller()), ref), ASK,
                (reply, failure) -> {
                    if (failure == null && reply.isSuccess() && process.isPresent()) {
                        store.removeRoot(reply.getValue(), new RuntimeStore.Root(u.pid(), process.get().identity().startTime()));
                    }
                    u.replyTo().tell(failure != null ? StatusReply.error(failure) : reply);
                });
        return this;
    }

    // ---- snapshots ----

    private void onCreateSnapshot(CreateSnapshot c) {
        String runtime = ControlRules.checkName("runtime", c.runtime());
        String name = c.name().isEmpty() ? runtime + "-" + System.currentTimeMillis() : ControlRules.checkName("snapshot", c.name());
        if (store.snapshotExists(name) || !claimed.add("snapshot/" + name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a snapshot named '" + name + "' exists already");
        }
        RuntimeRecord record = store.runtime(runtime);
        Router.Target target = record != null && record.durable()
                ? Router.Target.named(runtime, setup(runtime), record.owner(), Router.OwnerGuard.of(c.caller()))
                : Router.Target.named(runtime, null, Caller.ROOT, Router.OwnerGuard.of(c.caller()));
        long start = System.nanoTime();
        ask(router, (ActorRef<StatusReply<SnapshotRecord>> ref) -> new Router.CaptureRuntime(target, name, store.snapshotDir(name), ref), LONG,
                (captured, failure) -> {
                    long micros = (System.nanoTime() - start) / 1000;
                    if (failure != null || captured.isError()) {
                        claimed.remove("snapshot/" + name);
                        c.replyTo().tell(StatusReply.error(failure != null ? failure : captured.getError()));
                        return;
                    }
                    ask(snapshots, (ActorRef<StatusReply<Snapshot.Info>> ref) -> new Snapshots.Add(captured.getValue(), ref), ASK,
                            (added, err) -> {
                                claimed.remove("snapshot/" + name);
                                if (err != null || added.isError()) {
                                    c.replyTo().tell(StatusReply.error(err != null ? err : added.getError()));
                                } else {
                                    c.replyTo().tell(StatusReply.success(new SnapshotMade(added.getValue(), micros)));
                                }
                            });
                });
    }

    private Behavior<Command> onListSnapshots(ListSnapshots l) {
        ask(snapshots, Snapshots.ListAll::new, ASK, (all, failure) -> l.replyTo().tell(all == null ? List.of()
                : all.stream().filter(s -> visible(l.caller(), s.record().owner())).toList()));
        return this;
    }

    private void onDeleteSnapshot(DeleteSnapshot d) {
        String name = ControlRules.checkName("snapshot", d.name());
        withSnapshot(d.caller(), name, d.replyTo(), info ->
                snapshots.tell(new Snapshots.Delete(name, d.replyTo())));
    }

    /** Finds snapshot {@code name} and goes on when the caller may act on it; answers the refusal otherwise. */
    private <T> void withSnapshot(Caller caller, String name, ActorRef<StatusReply<T>> replyTo, java.util.function.Consumer<Snapshot.Info> then) {
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
            if (claimed.contains(name)) {
                throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' is being started already");
            }
            RuntimeRecord record = new RuntimeRecord(name, "snapshot " + snapshot, info.record().layers(), true, true, 0, snapshot,
                    c.caller().uid());
            store.createBranch(record);
            snapshots.tell(new Snapshots.BranchAdded(snapshot, name));
            c.replyTo().tell(StatusReply.success(new Branch(record, false)));
        });
    }

    private Behavior<Command> onListBranches(ListBranches l) {
        ask(router, Router.ListRuntimes::new, ASK, (running, failure) -> {
            Set<String> live = new HashSet<>();
            if (running != null) {
                running.forEach(r -> live.add(r.name()));
            }
            l.replyTo().tell(store.runtimes().stream().filter(RuntimeRecord::isBranch).filter(r -> visible(l.caller(), r.owner()))
                    .map(r -> new Branch(r, live.contains(r.name()))).toList());
        });
        return this;
    }

    private void onDiffBranch(DiffBranch d) {
        Router.Target target = branchTarget(d.caller(), d.branch());
        router.tell(new Router.DiffRuntime(target, d.replyTo()));
    }

    private void onCommitBranch(CommitBranch c) {
        ControlRules.checkTag(c.tag());
        ControlRules.checkMessage(c.message());
        Router.Target target = branchTarget(c.caller(), c.branch());
        router.tell(new Router.CommitRuntime(target, c.tag(), c.message(), c.caller().uid(), c.replyTo()));
    }

    private void onDeleteBranch(DeleteBranch d) {
        Router.Target target = branchTarget(d.caller(), d.branch());
        RuntimeRecord record = store.runtime(target.name());
        ask(router, (ActorRef<StatusReply<RuntimeInfo>> ref) -> new Router.RemoveRuntime(target.name(), target.guard(), ref), ASK,
                (ended, failure) -> {
                    // ended, or not running: either way its record and scratch go now
                    store.deleteRuntime(record.name());
                    snapshots.tell(new Snapshots.BranchRemoved(record.snapshot(), record.name()));
                    d.replyTo().tell(StatusReply.success(Done.getInstance()));
                });
    }

    /** The branch named {@code name}, for an operation by {@code caller}: NOT_FOUND for anything but a branch. */
    private Router.Target branchTarget(Caller caller, String name) {
        ControlRules.checkName("branch", name);
        RuntimeRecord record = store.runtime(name);
        if (record == null || !record.isBranch()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no branch named '" + name + "'");
        }
        if (!ControlRules.mayActOn(caller, record.owner())) {
            throw ControlRules.notOwner("branch", name, record.owner());
        }
        return Router.Target.named(name, setup(name), record.owner(), Router.OwnerGuard.of(caller));
    }

    /** Asks another actor and continues with its answer (or the failure) inside this actor. */
    @SuppressWarnings("unchecked")
    private <Q, A> void ask(ActorRef<Q> target, Function<ActorRef<A>, Q> request, Duration timeout, BiConsumer<A, Throwable> then) {
        getContext().ask((Class<A>) (Class<?>) Object.class, target, timeout, request::apply,
                (answer, failure) -> new Continue(() -> then.accept(answer, failure)));
    }
}
