package dev.strata.ops.daemon;

import dev.strata.actors.Mount;
import dev.strata.actors.Router;
import dev.strata.actors.RuntimeRefused;
import dev.strata.actors.Scratch;
import dev.strata.actors.Snapshots;
import dev.strata.engine.ScratchCommit;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.protocol.CommitReply;
import dev.strata.protocol.BranchInfo;
import dev.strata.protocol.CommitBranchRequest;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteBranchReply;
import dev.strata.protocol.DeleteBranchRequest;
import dev.strata.protocol.DeleteSnapshotReply;
import dev.strata.protocol.DeleteSnapshotRequest;
import dev.strata.protocol.DiffBranchRequest;
import dev.strata.protocol.ListBranchesReply;
import dev.strata.protocol.ListBranchesRequest;
import dev.strata.protocol.ListSnapshotsReply;
import dev.strata.protocol.ListSnapshotsRequest;
import dev.strata.protocol.SnapshotInfo;
import dev.strata.protocol.UnbindBranchReply;
import dev.strata.protocol.UnbindBranchRequest;
import dev.strata.protocol.CommitRequest;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.DiffRequest;
import java.io.IOException;
import java.nio.file.Path;
import dev.strata.engine.View;
import dev.strata.persistence.AmbiguousRefException;
import dev.strata.persistence.Digest;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.MalformedSpecException;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.TagStore;
import dev.strata.persistence.UnknownRefException;
import dev.strata.protocol.ListReply;
import dev.strata.protocol.ListRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.ShutdownReply;
import dev.strata.protocol.ShutdownRequest;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StatusRequest;
import dev.strata.protocol.StrataControl;
import dev.strata.protocol.UnmountReply;
import dev.strata.protocol.UnmountRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The gRPC control plane: a thin translator between protobuf messages and the Router. Specs are
 * resolved against the repository (blocking I/O, on its own executor) before the Router sees them.
 */
final class ControlService implements StrataControl {
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final ActorRef<Router.Command> router;
    private final Repository repo;
    private final Path runtimes;
    private final Executor blocking;
    private final Supplier<StatusReply.Builder> status;
    private final Runnable shutdown;
    private final SnapshotControl snapshotControl;

    ControlService(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<Snapshots.Command> snapshots, Repository repo,
                   Path runtimes, Path snapshotsDir, Executor blocking, Supplier<StatusReply.Builder> status, Runnable shutdown) {
        this.snapshotControl = new SnapshotControl(system, router, snapshots, repo, runtimes, snapshotsDir, blocking);
        this.system = system;
        this.router = router;
        this.repo = repo;
        this.runtimes = runtimes;
        this.blocking = blocking;
        this.status = status;
        this.shutdown = shutdown;
    }

    @Override
    public CompletionStage<RuntimeInfo> mount(MountRequest in) {
        // the running runtimes first: a new editable runtime must not clear the directory of a running one
        return AskPattern.<Router.Command, List<dev.strata.actors.RuntimeInfo>>ask(router, Router.ListRuntimes::new, ASK_TIMEOUT, system.scheduler())
                .thenApplyAsync(running -> prepare(in, running.stream().map(dev.strata.actors.RuntimeInfo::name).toList()), blocking)
                .thenCompose(p -> AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<dev.strata.actors.RuntimeInfo>>ask(
                        router, replyTo -> new Router.AddRuntime(p.name(), in.getRootPid(), p.envSpec(), p.layers(), p.source(),
                                p.scratch(), p.durable(), in.getJoin(), replyTo), ASK_TIMEOUT, system.scheduler()))
                .thenApply(reply -> toProto(value(reply)))
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    private record Prepared(String name, String envSpec, List<String> layers, Mount.ViewSource source, Scratch.Setup scratch,
                            boolean durable) {
    }

    private Prepared prepare(MountRequest in, List<String> running) {
        if (in.getRootPid() <= 0) {
            throw invalid("root_pid must be a positive process id, not " + in.getRootPid());
        }
        if (in.getDurable() && in.getName().isEmpty()) {
            throw invalid("a durable runtime needs a name (--name), so it can be joined later");
        }
        if (in.getJoin() && in.getName().isEmpty()) {
            throw invalid("join needs the name of the runtime to join");
        }
        String name = in.getName().isEmpty() ? "run-" + in.getRootPid() : in.getName();
        if (!RuntimeNames.isValid(name)) {
            throw invalid("invalid runtime name '" + RuntimeNames.printable(name) + "': " + RuntimeNames.RULE);
        }
        Path dir = runtimes.resolve(name);
        RuntimeRecord existing = readRecord(dir);
        if (in.getJoin()) {
            if (running.contains(name)) {
                return new Prepared(name, "", List.of(), null, null, false);
            }
            if (existing == null || !existing.durable()) {
                throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no runtime named '" + name
                        + "' to join: a runtime can be joined while it runs, or later when it was started --durable");
            }
            return new Prepared(name, existing.envSpec(), existing.layers().stream().map(Digest::hex).toList(), null,
                    setup(name, dir), true);
        }
        if (running.contains(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime named '" + name + "' exists already");
        }
        if (existing != null && existing.durable()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a durable runtime named '" + name
                    + "' exists already: join it with --join " + name);
        }
        List<Repository.ResolvedLayer> resolved = repo.resolveLayers(EnvSpec.parse(in.getEnvSpec()));
        List<Digest> manifests = resolved.stream().map(Repository.ResolvedLayer::manifest).toList();
        List<String> layers = resolved.stream().map(l -> l.digest().hex()).toList();
        Mount.ViewSource source = () -> View.of(manifests.stream().map(repo::manifest).toList(), repo.blobs());
        source.load(); // proves every manifest is readable before the runtime exists
        if (!in.getEditable() && !in.getDurable()) {
            return new Prepared(name, in.getEnvSpec(), layers, source, null, false);
        }
        Scratch.Setup setup = setup(name, dir);
        try {
            Renderer.deleteTree(dir); // an ended runtime's leftovers
            new RuntimeRecord(name, in.getEnvSpec(), resolved.stream().map(Repository.ResolvedLayer::digest).toList(), true,
                    in.getDurable(), 0).write(dir);
            setup.claim();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new RepositoryException("cannot create the scratch of runtime '" + name + "': " + e.getMessage());
        }
        return new Prepared(name, in.getEnvSpec(), layers, null, setup, in.getDurable());
    }

    private Scratch.Setup setup(String name, Path dir) {
        return new Scratch.Setup(dir, repo, name + "@" + System.nanoTime());
    }

    private static RuntimeRecord readRecord(Path dir) {
        try {
            return RuntimeRecord.read(dir);
        } catch (IOException e) {
            throw new RepositoryException("the record of runtime " + dir.getFileName() + " is unreadable: " + e.getMessage());
        }
    }

    @Override
    public CompletionStage<CommitReply> commit(CommitRequest in) {
        if (!in.getTag().isEmpty() && !TagStore.isValidName(in.getTag())) {
            return CompletableFuture.failedFuture(invalid("invalid tag name '" + RuntimeNames.printable(in.getTag()) + "'"));
        }
        return AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<Mount.CommitOutcome>>ask(router,
                        replyTo -> new Router.CommitRuntime(Router.Target.ofProcess(in.getPid()), in.getTag(), in.getMessage(), replyTo),
                        Duration.ofMinutes(30), system.scheduler())
                .thenApply(reply -> toProto(value(reply)))
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    @Override
    public CompletionStage<DiffReply> diff(DiffRequest in) {
        return AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<Mount.DiffOutcome>>ask(router,
                        replyTo -> new Router.DiffRuntime(Router.Target.ofProcess(in.getPid()), replyTo), ASK_TIMEOUT, system.scheduler())
                .thenApply(reply -> toProto(value(reply)))
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    static CommitReply toProto(Mount.CommitOutcome o) {
        if (o.error() != null) {
            throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(o.error()));
        }
        return CommitReply.newBuilder().setLayer(o.layer() == null ? "" : o.layer().hex()).setEntries(o.entries())
                .setBytes(o.bytes()).addAllLayers(o.layers()).build();
    }

    static DiffReply toProto(Mount.DiffOutcome o) {
        if (o.error() != null) {
            throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(o.error()));
        }
        DiffReply.Builder out = DiffReply.newBuilder();
        for (ScratchCommit.Listed c : o.changes()) {
            out.addChanges(DiffReply.Change.newBuilder().setStatus(String.valueOf(c.status())).setPath(c.path()));
        }
        return out.build();
    }

    // ---- snapshots and branches ----

    @Override
    public CompletionStage<SnapshotInfo> createSnapshot(CreateSnapshotRequest in) {
        return guarded(() -> snapshotControl.createSnapshot(in));
    }

    @Override
    public CompletionStage<ListSnapshotsReply> listSnapshots(ListSnapshotsRequest in) {
        return guarded(snapshotControl::listSnapshots);
    }

    @Override
    public CompletionStage<DeleteSnapshotReply> deleteSnapshot(DeleteSnapshotRequest in) {
        return guarded(() -> snapshotControl.deleteSnapshot(in));
    }

    @Override
    public CompletionStage<BranchInfo> createBranch(CreateBranchRequest in) {
        return guarded(() -> snapshotControl.createBranch(in));
    }

    @Override
    public CompletionStage<ListBranchesReply> listBranches(ListBranchesRequest in) {
        return guarded(snapshotControl::listBranches);
    }

    @Override
    public CompletionStage<UnbindBranchReply> unbindBranch(UnbindBranchRequest in) {
        return guarded(() -> snapshotControl.unbind(in));
    }

    @Override
    public CompletionStage<DiffReply> diffBranch(DiffBranchRequest in) {
        return guarded(() -> snapshotControl.diffBranch(in));
    }

    @Override
    public CompletionStage<CommitReply> commitBranch(CommitBranchRequest in) {
        return guarded(() -> snapshotControl.commitBranch(in));
    }

    @Override
    public CompletionStage<DeleteBranchReply> deleteBranch(DeleteBranchRequest in) {
        return guarded(() -> snapshotControl.deleteBranch(in));
    }

    /** Runs a call so that a refusal, thrown at once or later, becomes its gRPC status. */
    private static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> call) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.exceptionally(e -> {
            throw translate(e);
        });
    }

    /** An actor's answer, or its refusal thrown (translate() makes that the gRPC status). */
    static <T> T value(org.apache.pekko.pattern.StatusReply<T> reply) {
        if (reply.isError()) {
            Throwable t = reply.getError();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return reply.getValue();
    }

    @Override
    public CompletionStage<UnmountReply> unmount(UnmountRequest in) {
        return AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<dev.strata.actors.RuntimeInfo>>ask(
                        router, replyTo -> new Router.RemoveRuntime(in.getName(), replyTo), ASK_TIMEOUT, system.scheduler())
                .thenApply(reply -> {
                    value(reply);
                    return UnmountReply.getDefaultInstance();
                })
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    @Override
    public CompletionStage<ListReply> list(ListRequest in) {
        return runtimes().thenApply(list -> ListReply.newBuilder().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<StatusReply> status(StatusRequest in) {
        return runtimes().thenApply(list -> status.get().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<ShutdownReply> shutdown(ShutdownRequest in) {
        system.scheduler().scheduleOnce(Duration.ofMillis(100), shutdown, system.executionContext());
        return CompletableFuture.completedFuture(ShutdownReply.getDefaultInstance());
    }

    private CompletionStage<List<RuntimeInfo>> runtimes() {
        return AskPattern.<Router.Command, List<dev.strata.actors.RuntimeInfo>>ask(router, Router.ListRuntimes::new, ASK_TIMEOUT, system.scheduler())
                .thenApply(list -> list.stream().map(ControlService::toProto).toList());
    }

    static RuntimeInfo toProto(dev.strata.actors.RuntimeInfo r) {
        return RuntimeInfo.newBuilder().setName(r.name()).setRootPid(r.root().pid()).setRootStartTime(r.root().startTime())
                .setEnvSpec(r.envSpec()).addAllLayers(r.layers()).setStartedAtEpochMs(r.started().toEpochMilli())
                .setEditable(r.editable()).setDurable(r.durable()).build();
    }

    private static GrpcServiceException invalid(String message) {
        return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(message));
    }

    /** One place maps failures to gRPC statuses; anything unexpected is INTERNAL. */
    static GrpcServiceException translate(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof GrpcServiceException g) {
            return g;
        }
        Status status;
        if (cause instanceof RuntimeRefused r) {
            status = switch (r.reason()) {
                case INVALID -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case IN_USE -> Status.FAILED_PRECONDITION;
            };
        } else if (cause instanceof MalformedSpecException || cause instanceof AmbiguousRefException || cause instanceof IllegalArgumentException) {
            status = Status.INVALID_ARGUMENT;
        } else if (cause instanceof UnknownRefException) {
            status = Status.NOT_FOUND;
        } else if (cause instanceof RepositoryException) {
            status = Status.FAILED_PRECONDITION;
        } else {
            status = Status.INTERNAL;
        }
        return new GrpcServiceException(status.withDescription(String.valueOf(cause.getMessage())));
    }

    /** Runtime names follow the same rules as tag segments, so they are safe in paths and logs. */
    static final class RuntimeNames {
        static final String RULE = "use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'";

        static boolean isValid(String name) {
            return name.length() <= 64 && !name.contains("/") && TagStore.isValidName(name);
        }

        static String printable(String name) {
            String s = name.length() > 64 ? name.substring(0, 64) + "..." : name;
            return s.replace("\0", "\\0");
        }
    }
}
