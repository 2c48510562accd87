package dev.strata.ops.daemon;

import dev.strata.actors.Router;
import dev.strata.actors.RuntimeRefused;
import dev.strata.actors.Scratch;
import dev.strata.actors.Snapshot;
import dev.strata.actors.Snapshots;
import dev.strata.persistence.Digest;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import dev.strata.protocol.BranchInfo;
import dev.strata.protocol.CommitBranchRequest;
import dev.strata.protocol.CommitReply;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteBranchReply;
import dev.strata.protocol.DeleteBranchRequest;
import dev.strata.protocol.DeleteSnapshotReply;
import dev.strata.protocol.DeleteSnapshotRequest;
import dev.strata.protocol.DiffBranchRequest;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.ListBranchesReply;
import dev.strata.protocol.ListSnapshotsReply;
import dev.strata.protocol.SnapshotInfo;
import dev.strata.protocol.UnbindBranchReply;
import dev.strata.protocol.UnbindBranchRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/**
 * Snapshots and branches on the control plane. A snapshot freezes a runtime's view (its layers plus
 * one layer of what its scratch changed); a branch is a durable editable runtime standing on a
 * snapshot, which process trees join and leave. Disk state (records) is read and written on the
 * blocking executor; the actors own what runs.
 */
final class SnapshotControl {
    private static final Duration ASK = Duration.ofSeconds(10);
    private static final Duration LONG = Duration.ofMinutes(30);

    private final ActorSystem<?> system;
    private final ActorRef<Router.Command> router;
    private final ActorRef<Snapshots.Command> snapshots;
    private final Repository repo;
    private final Path runtimes;
    private final Path snapshotsDir;
    private final Executor blocking;

    SnapshotControl(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<Snapshots.Command> snapshots, Repository repo,
                    Path runtimes, Path snapshotsDir, Executor blocking) {
        this.system = system;
        this.router = router;
        this.snapshots = snapshots;
        this.repo = repo;
        this.runtimes = runtimes;
        this.snapshotsDir = snapshotsDir;
        this.blocking = blocking;
    }

    CompletionStage<SnapshotInfo> createSnapshot(CreateSnapshotRequest in) {
        String runtime = checkName("runtime", in.getRuntime());
        String name = in.getName().isEmpty() ? runtime + "-" + System.currentTimeMillis() : checkName("snapshot", in.getName());
        return CompletableFuture.supplyAsync(() -> {
            if (Files.exists(snapshotsDir.resolve(name))) {
                throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a snapshot named '" + name + "' exists already");
            }
            return stoppedSetup(runtime);
        }, blocking).thenCompose(setup -> {
            long start = System.nanoTime();
            return AskPattern.<Router.Command, StatusReply<SnapshotRecord>>ask(router,
                            r -> new Router.CaptureRuntime(Router.Target.named(runtime, setup), name, snapshotsDir.resolve(name), r),
                            LONG, system.scheduler())
                    .thenCompose(reply -> {
                        long micros = (System.nanoTime() - start) / 1000;
                        SnapshotRecord record = ControlService.value(reply);
                        return AskPattern.<Snapshots.Command, StatusReply<Snapshot.Info>>ask(snapshots, r -> new Snapshots.Add(record, r),
                                ASK, system.scheduler()).thenApply(added -> toProto(ControlService.value(added)).toBuilder().setCaptureMicros(micros).build());
                    });
        });
    }

    CompletionStage<ListSnapshotsReply> listSnapshots() {
        return AskPattern.<Snapshots.Command, List<Snapshot.Info>>ask(snapshots, Snapshots.ListAll::new, ASK, system.scheduler())
                .thenApply(all -> ListSnapshotsReply.newBuilder().addAllSnapshots(all.stream().map(SnapshotControl::toProto).toList()).build());
    }

    CompletionStage<DeleteSnapshotReply> deleteSnapshot(DeleteSnapshotRequest in) {
        String name = checkName("snapshot", in.getName());
        return AskPattern.<Snapshots.Command, StatusReply<Snapshot.Info>>ask(snapshots, r -> new Snapshots.Delete(name, r), ASK, system.scheduler())
                .thenApply(reply -> {
                    ControlService.value(reply);
                    return DeleteSnapshotReply.getDefaultInstance();
                });
    }

    CompletionStage<BranchInfo> createBranch(CreateBranchRequest in) {
        String snapshot = checkName("snapshot", in.getSnapshot());
        String requested = in.getName().isEmpty() ? null : checkName("branch", in.getName());
        return AskPattern.<Snapshots.Command, StatusReply<Snapshot.Info>>ask(snapshots, r -> new Snapshots.Find(snapshot, r), ASK, system.scheduler())
                .thenApplyAsync(reply -> {
                    SnapshotRecord s = ControlService.value(reply).record();
                    String name = requested != null ? requested : freeBranchName(snapshot);
                    Path dir = runtimes.resolve(name);
                    if (Files.exists(RuntimeRecord.file(dir))) {
                        throw new RuntimeRefused(RuntimeRefused.Reason.ALREADY_EXISTS, "a runtime or branch named '" + name + "' exists already");
                    }
                    RuntimeRecord record = new RuntimeRecord(name, "snapshot " + snapshot, s.layers(), true, true, 0, snapshot);
                    try {
                        record.write(dir);
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot create branch " + name + ": " + e.getMessage(), e);
                    }
                    snapshots.tell(new Snapshots.BranchAdded(snapshot, name));
                    return branchInfo(record, false);
                }, blocking);
    }

    private String freeBranchName(String snapshot) {
        for (int i = 1; ; i++) {
            String name = snapshot + "-branch-" + i;
            if (!Files.exists(runtimes.resolve(name))) {
                return name;
            }
        }
    }

    CompletionStage<ListBranchesReply> listBranches() {
        return AskPattern.<Router.Command, List<dev.strata.actors.RuntimeInfo>>ask(router, Router.ListRuntimes::new, ASK, system.scheduler())
                .thenApplyAsync(running -> {
                    Set<String> live = Set.copyOf(running.stream().map(dev.strata.actors.RuntimeInfo::name).toList());
                    ListBranchesReply.Builder out = ListBranchesReply.newBuilder();
                    for (RuntimeRecord r : branches()) {
                        out.addBranches(branchInfo(r, live.contains(r.name())));
                    }
                    return out.build();
                }, blocking);
    }

    CompletionStage<UnbindBranchReply> unbind(UnbindBranchRequest in) {
        return AskPattern.<Router.Command, StatusReply<String>>ask(router, r -> new Router.Unbind(in.getPid(), r), ASK, system.scheduler())
                .thenApply(reply -> UnbindBranchReply.newBuilder().setBranch(ControlService.value(reply)).build());
    }

    CompletionStage<DiffReply> diffBranch(DiffBranchRequest in) {
        String name = checkName("branch", in.getBranch());
        return CompletableFuture.supplyAsync(() -> branchSetup(name), blocking)
                .thenCompose(setup -> AskPattern.<Router.Command, StatusReply<dev.strata.actors.Mount.DiffOutcome>>ask(router,
                        r -> new Router.DiffRuntime(Router.Target.named(name, setup), r), ASK, system.scheduler()))
                .thenApply(reply -> ControlService.toProto(ControlService.value(reply)).toBuilder().setRuntime(name).build());
    }

    CompletionStage<CommitReply> commitBranch(CommitBranchRequest in) {
        String name = checkName("branch", in.getBranch());
        if (!in.getTag().isEmpty()) {
            checkName("tag", in.getTag());
        }
        return CompletableFuture.supplyAsync(() -> branchSetup(name), blocking)
                .thenCompose(setup -> AskPattern.<Router.Command, StatusReply<dev.strata.actors.Mount.CommitOutcome>>ask(router,
                        r -> new Router.CommitRuntime(Router.Target.named(name, setup), in.getTag(), in.getMessage(), r), LONG, system.scheduler()))
                .thenApply(reply -> ControlService.toProto(ControlService.value(reply)).toBuilder().setRuntime(name).build());
    }

    CompletionStage<DeleteBranchReply> deleteBranch(DeleteBranchRequest in) {
        String name = checkName("branch", in.getBranch());
        return CompletableFuture.supplyAsync(() -> {
                    branchSetup(name);
                    return name;
                }, blocking)
                .thenCompose(n -> AskPattern.<Router.Command, StatusReply<dev.strata.actors.RuntimeInfo>>ask(router,
                        r -> new Router.RemoveRuntime(n, r), ASK, system.scheduler()))
                .thenApplyAsync(ended -> {
                    // ended or not running: either way its record and scratch go now
                    RuntimeRecord record = readRecord(runtimes.resolve(name));
                    Renderer.deleteTree(runtimes.resolve(name));
                    snapshots.tell(new Snapshots.BranchRemoved(record.snapshot(), name));
                    return DeleteBranchReply.getDefaultInstance();
                }, blocking);
    }

    /** The setup to start a branch with when no process runs in it; NOT_FOUND for anything but a branch. */
    private Scratch.Setup branchSetup(String name) {
        RuntimeRecord record = readRecord(runtimes.resolve(name));
        if (record == null || !record.isBranch()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.NOT_FOUND, "no branch named '" + name + "'");
        }
        return setupOf(name);
    }

    /** For a durable runtime on disk, the setup to start it; null otherwise (then it must be running). */
    private Scratch.Setup stoppedSetup(String name) {
        RuntimeRecord record = readRecord(runtimes.resolve(name));
        return record != null && record.durable() ? setupOf(name) : null;
    }

    private Scratch.Setup setupOf(String name) {
        return new Scratch.Setup(runtimes.resolve(name), repo, name + "@" + System.nanoTime());
    }

    private List<RuntimeRecord> branches() {
        try {
            return RuntimeRecord.readAll(runtimes).stream().filter(RuntimeRecord::isBranch).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + runtimes + ": " + e.getMessage(), e);
        }
    }

    private static RuntimeRecord readRecord(Path dir) {
        try {
            return RuntimeRecord.read(dir);
        } catch (IOException e) {
            throw new IllegalStateException("the record in " + dir + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static BranchInfo branchInfo(RuntimeRecord r, boolean running) {
        return BranchInfo.newBuilder().setName(r.name()).setSnapshot(r.snapshot()).setRunning(running)
                .addAllLayers(r.layers().stream().map(Digest::hex).toList()).build();
    }

    private static SnapshotInfo toProto(Snapshot.Info info) {
        SnapshotRecord r = info.record();
        return SnapshotInfo.newBuilder().setName(r.name()).setRuntime(r.runtime()).addAllLayers(r.layers().stream().map(Digest::hex).toList())
                .setCreatedAtEpochMs(r.created().toEpochMilli()).addAllBranches(info.branches().stream().sorted().toList()).build();
    }

    private static String checkName(String what, String name) {
        if (!ControlService.RuntimeNames.isValid(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "invalid " + what + " name '"
                    + ControlService.RuntimeNames.printable(name) + "': " + ControlService.RuntimeNames.RULE);
        }
        return name;
    }
}
