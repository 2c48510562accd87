package dev.strata.ops.daemon;

import dev.strata.actors.Asks;
import dev.strata.actors.Caller;
import dev.strata.actors.ControlRules;
import dev.strata.actors.Mount;
import dev.strata.actors.RuntimeRefused;
import dev.strata.actors.Runtimes;
import dev.strata.actors.Snapshot;
import dev.strata.engine.ScratchCommit;
import dev.strata.persistence.AmbiguousRefException;
import dev.strata.persistence.Digest;
import dev.strata.persistence.MalformedSpecException;
import dev.strata.persistence.PermissionDeniedException;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.RuntimeStore;
import dev.strata.persistence.SnapshotRecord;
import dev.strata.persistence.UnknownRefException;
import dev.strata.protocol.BranchInfo;
import dev.strata.protocol.CommitBranchRequest;
import dev.strata.protocol.CommitReply;
import dev.strata.protocol.CommitRequest;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteBranchReply;
import dev.strata.protocol.DeleteBranchRequest;
import dev.strata.protocol.DeleteSnapshotReply;
import dev.strata.protocol.DeleteSnapshotRequest;
import dev.strata.protocol.DiffBranchRequest;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.DiffRequest;
import dev.strata.protocol.ListBranchesReply;
import dev.strata.protocol.ListBranchesRequest;
import dev.strata.protocol.ListReply;
import dev.strata.protocol.ListRequest;
import dev.strata.protocol.ListSnapshotsReply;
import dev.strata.protocol.ListSnapshotsRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.OwnMountReply;
import dev.strata.protocol.OwnMountRequest;
import dev.strata.protocol.ProgressReply;
import dev.strata.protocol.ProgressRequest;
import dev.strata.protocol.RemoveRuntimeReply;
import dev.strata.protocol.RemoveRuntimeRequest;
import dev.strata.protocol.RemoveTagReply;
import dev.strata.protocol.RemoveTagRequest;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.ShutdownReply;
import dev.strata.protocol.ShutdownRequest;
import dev.strata.protocol.SnapshotInfo;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StatusRequest;
import dev.strata.protocol.StrataControl;
import dev.strata.protocol.UnbindBranchReply;
import dev.strata.protocol.UnbindBranchRequest;
import dev.strata.protocol.UnmountReply;
import dev.strata.protocol.UnmountRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The gRPC control plane for one connection: a thin translator from protobuf to the lifecycle
 * owner's commands, each carrying the connection's kernel-attested {@link Caller}, and back.
 * Every decision (names, owners, rules) is made by {@link Runtimes}.
 */
final class ControlService implements StrataControl {
    private static final Duration ASK = Duration.ofSeconds(10);
    private static final Duration LONG = Duration.ofMinutes(30);
    /** The longest error description sent back: messages quote inputs only in short prefixes anyway. */
    private static final int MAX_DESCRIPTION = 1024;

    /**
     * What every connection's service shares: the actor system, the lifecycle owner, the daemon's own
     * status and stop; {@code ownMounts} is null without FUSE.
     */
    record Daemon(ActorSystem<?> system, ActorRef<Runtimes.Command> runtimes, Supplier<StatusReply.Builder> status, Runnable shutdown,
                  dev.strata.ops.fleet.Fleet fleet, dev.strata.ops.metrics.DaemonMetrics metrics, DegradedViews degraded, OwnMounts ownMounts) {
    }

    private final Daemon daemon;
    private final Caller caller;

    ControlService(Daemon daemon, Caller caller) {
        this.daemon = daemon;
        this.caller = caller;
    }

    @Override
    public CompletionStage<RuntimeInfo> mount(MountRequest in) {
        DegradedViews degraded = daemon.degraded();
        if (degraded != null && in.getDurable()) {
            return CompletableFuture.failedFuture(degraded.refusal("a durable runtime"));
        }
        if (in.getOwnMount() && daemon.ownMounts() == null) {
            return CompletableFuture.failedFuture(new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(
                    "this daemon runs without FUSE: a runtime cannot have a mount of its own")));
        }
        CompletionStage<RuntimeInfo> started = this.<dev.strata.actors.RuntimeInfo>askValue(r -> new Runtimes.Start(caller, in.getName(),
                in.getRootPid(), in.getEnvSpec(), in.getEditable(), in.getDurable(), in.getJoin(), in.getOwnMount(), r), ASK)
                .thenApply(ControlService::toProto);
        if (in.getOwnMount()) {
            return started.thenApply(info -> info.toBuilder().setMountpoint(daemon.ownMounts().mountpoint().toString()).build());
        }
        return degraded == null ? started : started.thenCompose(degraded::attach);
    }

    /**
     * Launcher socket only, since it takes a descriptor of the caller's process: serves the /dev/fuse
     * the caller mounted in its own mount namespace as the own connection of the runtime it started.
     */
    public CompletionStage<OwnMountReply> ownMount(OwnMountRequest in) {
        OwnMounts own = daemon.ownMounts();
        if (own == null) {
            return CompletableFuture.failedFuture(new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(
                    "this daemon runs without FUSE: a runtime cannot have a mount of its own")));
        }
        return this.<Runtimes.OwnMountTarget>askValue(r -> new Runtimes.OwnMountOf(caller, ControlRules.checkName("runtime", in.getName()), r), ASK)
                .thenApplyAsync(target -> {
                    try {
                        own.serve(target, caller.pid(), in.getFd());
                    } catch (java.io.IOException e) {
                        throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription("cannot serve the mount of its own: "
                                + ControlRules.quote(e.getMessage())));
                    }
                    return OwnMountReply.getDefaultInstance();
                });
    }

    /** Work a daemon without FUSE cannot do (the runtime's changes are in its copy, not in a scratch): refused before it is asked. */
    private <T> CompletionStage<T> live(String what, Supplier<CompletionStage<T>> call) {
        return daemon.degraded() != null ? CompletableFuture.failedFuture(daemon.degraded().refusal(what)) : call.get();
    }

    /** Whether a runtime still runs (a degraded copy outlives none of its runtime's trees). */
    static CompletionStage<Boolean> running(ActorSystem<?> system, ActorRef<Runtimes.Command> runtimes, String name) {
        return Asks.<Runtimes.Command, List<dev.strata.actors.RuntimeInfo>>ask(runtimes, r -> new Runtimes.ListRunning(Caller.daemon(),
                false, r), ASK, system.scheduler()).thenApply(list -> list.stream().anyMatch(i -> i.name().equals(name)));
    }

    @Override
    public CompletionStage<UnmountReply> unmount(UnmountRequest in) {
        return this.<dev.strata.actors.RuntimeInfo>askValue(r -> new Runtimes.End(caller, ControlRules.checkName("runtime", in.getName()), r), ASK)
                .thenApply(ended -> {
                    if (daemon.degraded() != null) {
                        daemon.degraded().release(ended.name());
                    }
                    return UnmountReply.getDefaultInstance();
                });
    }

    @Override
    public CompletionStage<RemoveRuntimeReply> removeRuntime(RemoveRuntimeRequest in) {
        return this.<org.apache.pekko.Done>askValue(r -> new Runtimes.Remove(caller, in.getName(), r), ASK)
                .thenApply(done -> RemoveRuntimeReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<RemoveTagReply> removeTag(RemoveTagRequest in) {
        return this.<org.apache.pekko.Done>askValue(r -> new Runtimes.RemoveTag(caller, in.getName(), r), ASK)
                .thenApply(done -> RemoveTagReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<ListReply> list(ListRequest in) {
        return runtimes(in.getIncludeStopped()).thenApply(list -> ListReply.newBuilder().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<StatusReply> status(StatusRequest in) {
        return runtimes(false).thenApply(list -> daemon.status().get().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<ShutdownReply> shutdown(ShutdownRequest in) {
        return guarded(() -> {
            ControlRules.checkShutdown(caller);
            daemon.system().scheduler().scheduleOnce(Duration.ofMillis(100), daemon.shutdown(), daemon.system().executionContext());
            return CompletableFuture.completedFuture(ShutdownReply.getDefaultInstance());
        });
    }

    @Override
    public CompletionStage<CommitReply> commit(CommitRequest in) {
        return live("commit", () -> this.<Mount.CommitOutcome>askValue(r -> new Runtimes.Commit(caller, in.getPid(), in.getTag(),
                in.getMessage(), r), LONG).thenApply(ControlService::toProto));
    }

    @Override
    public CompletionStage<DiffReply> diff(DiffRequest in) {
        return live("diff", () -> this.<Mount.DiffOutcome>askValue(r -> new Runtimes.Diff(caller, in.getPid(), r), ASK)
                .thenApply(ControlService::toProto));
    }

    @Override
    public CompletionStage<ProgressReply> progress(ProgressRequest in) {
        return this.<dev.strata.engine.WorkMeter.Reading>askValue(r -> new Runtimes.Progress(caller, in.getPid(), in.getRuntime(), r), ASK)
                .thenApply(w -> ProgressReply.newBuilder().setFilesDone(w.filesDone()).setFilesTotal(w.filesTotal())
                        .setBytesDone(w.bytesDone()).setBytesTotal(w.bytesTotal()).build());
    }

    @Override
    public CompletionStage<SnapshotInfo> createSnapshot(CreateSnapshotRequest in) {
        return live("a snapshot", () -> this.<Runtimes.SnapshotMade>askValue(r -> new Runtimes.CreateSnapshot(caller, in.getRuntime(),
                in.getName(), r), LONG).thenApply(made -> toProto(made.info()).toBuilder().setCaptureMicros(made.captureMicros()).build()));
    }

    @Override
    public CompletionStage<ListSnapshotsReply> listSnapshots(ListSnapshotsRequest in) {
        return guarded(() -> Asks.<Runtimes.Command, List<Snapshot.Info>>ask(daemon.runtimes(), r -> new Runtimes.ListSnapshots(caller, r),
                        ASK, daemon.system().scheduler())
                .thenApply(all -> ListSnapshotsReply.newBuilder().addAllSnapshots(all.stream().map(ControlService::toProto).toList()).build()));
    }

    @Override
    public CompletionStage<DeleteSnapshotReply> deleteSnapshot(DeleteSnapshotRequest in) {
        return this.<Snapshot.Info>askValue(r -> new Runtimes.DeleteSnapshot(caller, in.getName(), r), ASK)
                .thenApply(deleted -> DeleteSnapshotReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<BranchInfo> createBranch(CreateBranchRequest in) {
        return live("a branch", () -> this.<Runtimes.Branch>askValue(r -> new Runtimes.CreateBranch(caller, in.getSnapshot(), in.getName(), r),
                ASK).thenApply(ControlService::toProto));
    }

    @Override
    public CompletionStage<ListBranchesReply> listBranches(ListBranchesRequest in) {
        return guarded(() -> Asks.<Runtimes.Command, List<Runtimes.Branch>>ask(daemon.runtimes(), r -> new Runtimes.ListBranches(caller, r),
                        ASK, daemon.system().scheduler())
                .thenApply(all -> ListBranchesReply.newBuilder().addAllBranches(all.stream().map(ControlService::toProto).toList()).build()));
    }

    @Override
    public CompletionStage<UnbindBranchReply> unbindBranch(UnbindBranchRequest in) {
        return this.<String>askValue(r -> new Runtimes.Unbind(caller, in.getPid(), r), ASK)
                .thenApply(branch -> UnbindBranchReply.newBuilder().setBranch(branch).build());
    }

    @Override
    public CompletionStage<DiffReply> diffBranch(DiffBranchRequest in) {
        return this.<Mount.DiffOutcome>askValue(r -> new Runtimes.DiffBranch(caller, in.getBranch(), r), ASK)
                .thenApply(d -> toProto(d).toBuilder().setRuntime(in.getBranch()).build());
    }

    @Override
    public CompletionStage<CommitReply> commitBranch(CommitBranchRequest in) {
        return live("a branch commit", () -> this.<Mount.CommitOutcome>askValue(r -> new Runtimes.CommitBranch(caller, in.getBranch(),
                in.getTag(), in.getMessage(), r), LONG).thenApply(c -> toProto(c).toBuilder().setRuntime(in.getBranch()).build()));
    }

    @Override
    public CompletionStage<DeleteBranchReply> deleteBranch(DeleteBranchRequest in) {
        return this.<org.apache.pekko.Done>askValue(r -> new Runtimes.DeleteBranch(caller, in.getBranch(), r), ASK)
                .thenApply(done -> DeleteBranchReply.getDefaultInstance());
    }

    private CompletionStage<List<RuntimeInfo>> runtimes(boolean includeStopped) {
        return guarded(() -> Asks.<Runtimes.Command, List<dev.strata.actors.RuntimeInfo>>ask(daemon.runtimes(),
                        r -> new Runtimes.ListRunning(caller, includeStopped, r), ASK, daemon.system().scheduler())
                .thenApply(list -> list.stream().map(ControlService::toProto).toList()));
    }

    /** Asks the lifecycle owner; its refusal (a StatusReply error) becomes the call's gRPC status. */
    private <T> CompletionStage<T> askValue(Function<ActorRef<org.apache.pekko.pattern.StatusReply<T>>, Runtimes.Command> command,
                                            Duration timeout) {
        return guarded(() -> Asks.<Runtimes.Command, org.apache.pekko.pattern.StatusReply<T>>ask(daemon.runtimes(), command::apply,
                timeout, daemon.system().scheduler()).thenApply(ControlService::value));
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

    /** An actor's answer, or its refusal thrown. */
    private static <T> T value(org.apache.pekko.pattern.StatusReply<T> reply) {
        if (reply.isError()) {
            Throwable t = reply.getError();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return reply.getValue();
    }

    static RuntimeInfo toProto(dev.strata.actors.RuntimeInfo r) {
        return RuntimeInfo.newBuilder().setName(r.name()).setRootPid(r.root().pid()).setRootStartTime(r.root().startTime())
                .setEnvSpec(r.envSpec()).addAllLayers(r.layers()).setStartedAtEpochMs(r.started().toEpochMilli())
                .setEditable(r.editable()).setDurable(r.durable()).setOwnerUid(r.owner()).setRunning(r.root().pid() != 0).build();
    }

    private static CommitReply toProto(Mount.CommitOutcome o) {
        if (o.error() != null) {
            throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(o.error()));
        }
        return CommitReply.newBuilder().setLayer(o.layer() == null ? "" : o.layer().hex()).setEntries(o.entries())
                .setBytes(o.bytes()).addAllLayers(o.layers()).build();
    }

    private static DiffReply toProto(Mount.DiffOutcome o) {
        if (o.error() != null) {
            throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(o.error()));
        }
        DiffReply.Builder out = DiffReply.newBuilder();
        for (ScratchCommit.Listed c : o.changes()) {
            out.addChanges(DiffReply.Change.newBuilder().setStatus(String.valueOf(c.status())).setPath(c.path()));
        }
        return out.build();
    }

    private static SnapshotInfo toProto(Snapshot.Info info) {
        SnapshotRecord r = info.record();
        return SnapshotInfo.newBuilder().setName(r.name()).setRuntime(r.runtime()).addAllLayers(r.layers().stream().map(Digest::hex).toList())
                .setCreatedAtEpochMs(r.created().toEpochMilli()).addAllBranches(info.branches().stream().sorted().toList())
                .setOwnerUid(r.owner()).build();
    }

    private static BranchInfo toProto(Runtimes.Branch b) {
        return BranchInfo.newBuilder().setName(b.record().name()).setSnapshot(b.record().snapshot()).setRunning(b.running())
                .addAllLayers(b.record().layers().stream().map(Digest::hex).toList()).setOwnerUid(b.record().owner()).build();
    }

    @Override
    public CompletionStage<dev.strata.protocol.MetricsReply> metrics(dev.strata.protocol.MetricsRequest in) {
        return guarded(() -> {
            ControlRules.checkMetrics(caller);
            return CompletableFuture.completedFuture(dev.strata.protocol.MetricsReply.newBuilder().setText(daemon.metrics().scrape()).build());
        });
    }

    /** A fleet call: the admin rule first, then the fleet (FAILED_PRECONDITION when this daemon is in none). */
    private <T> CompletionStage<T> fleet(Function<dev.strata.ops.fleet.Fleet, CompletionStage<T>> call) {
        return guarded(() -> {
            dev.strata.ops.fleet.Fleet fleet = daemon.fleet();
            ControlRules.checkFleetAdmin(caller, fleet == null ? 0 : fleet.config().adminGroup());
            if (fleet == null) {
                throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(
                        "this daemon is in no fleet: set strata.cluster.enabled = true (and its seed nodes) in its configuration"));
            }
            return call.apply(fleet);
        });
    }

    private static final int FLEET_REFS_MAX = 64;

    @Override
    public CompletionStage<dev.strata.protocol.FleetStatusReply> fleetStatus(dev.strata.protocol.FleetStatusRequest in) {
        return fleet(dev.strata.ops.fleet.Fleet::status);
    }

    @Override
    public CompletionStage<dev.strata.protocol.FleetRuntimesReply> fleetRuntimes(dev.strata.protocol.FleetRuntimesRequest in) {
        return fleet(f -> f.runtimes(in.getNode()));
    }

    @Override
    public CompletionStage<dev.strata.protocol.FleetActionReply> fleetUnmount(dev.strata.protocol.FleetUnmountRequest in) {
        return fleet(f -> f.unmount(in.getNode(), ControlRules.checkName("runtime", in.getRuntime())));
    }

    @Override
    public CompletionStage<dev.strata.protocol.FleetActionReply> fleetDrain(dev.strata.protocol.FleetDrainRequest in) {
        return fleet(f -> f.drain(in.getNode(), in.getDrain()));
    }

    @Override
    public CompletionStage<dev.strata.protocol.FleetActionReply> fleetPull(dev.strata.protocol.FleetPullRequest in) {
        return fleet(f -> {
            if (in.getRefsCount() == 0 || in.getRefsCount() > FLEET_REFS_MAX) {
                throw new IllegalArgumentException("fleet pull takes 1 to " + FLEET_REFS_MAX + " refs, not " + in.getRefsCount());
            }
            in.getRefsList().forEach(ControlRules::checkSpec);
            return f.pull(List.copyOf(in.getRefsList()), List.copyOf(in.getNodesList()));
        });
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
                case DENIED -> Status.PERMISSION_DENIED;
                case DRAINING -> Status.UNAVAILABLE;
            };
        } else if (cause instanceof PermissionDeniedException) {
            status = Status.PERMISSION_DENIED;
        } else if (cause instanceof RuntimeStore.NameTakenException) {
            status = Status.ALREADY_EXISTS;
        } else if (cause instanceof MalformedSpecException || cause instanceof AmbiguousRefException || cause instanceof IllegalArgumentException) {
            status = Status.INVALID_ARGUMENT;
        } else if (cause instanceof UnknownRefException) {
            status = Status.NOT_FOUND;
        } else if (cause instanceof RepositoryException) {
            status = Status.FAILED_PRECONDITION;
        } else if (cause instanceof java.util.concurrent.TimeoutException) {
            status = Status.DEADLINE_EXCEEDED;
        } else {
            status = Status.INTERNAL;
        }
        String message = String.valueOf(cause.getMessage());
        if (message.length() > MAX_DESCRIPTION) {
            message = message.substring(0, MAX_DESCRIPTION) + "...";
        }
        return new GrpcServiceException(status.withDescription(message));
    }
}
