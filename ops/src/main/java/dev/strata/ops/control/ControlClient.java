package dev.strata.ops.control;

import com.google.protobuf.Message;
import dev.strata.protocol.*;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A client of the daemon's control plane over its Unix domain socket: plain grpc-java (Netty's
 * epoll domain sockets), no actor system, so a CLI call costs a connection and a round trip. The
 * kernel tells the daemon who this process is; nothing here claims an identity.
 */
public final class ControlClient implements StrataControl, AutoCloseable {
    private static final String SERVICE = "strata.v1.StrataControl";

    private final ManagedChannel channel;

    private ControlClient(ManagedChannel channel) {
        this.channel = channel;
    }

    public static ControlClient connect(Path socket) {
        return new ControlClient(Grpc.newChannelBuilder("unix://" + socket.toAbsolutePath(), InsecureChannelCredentials.create())
                // HTTP/2 wants a host name for :authority, not the socket path
                .overrideAuthority("localhost")
                .maxInboundMessageSize(64 * 1024 * 1024).build());
    }

    /** Calls {@code method} with any message (even one of another type), as a test of the server's input handling would. */
    public <Q extends Message, A extends Message> CompletionStage<A> call(String method, Q request, A replyPrototype) {
        MethodDescriptor<Q, A> descriptor = MethodDescriptor.<Q, A>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(ProtoUtils.marshaller(defaultOf(request)))
                .setResponseMarshaller(ProtoUtils.marshaller(replyPrototype))
                .build();
        ClientCall<Q, A> call = channel.newCall(descriptor, CallOptions.DEFAULT);
        CompletableFuture<A> out = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            private A reply;

            @Override
            public void onMessage(A message) {
                reply = message;
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                if (status.isOk() && reply != null) {
                    out.complete(reply);
                } else if (status.isOk()) {
                    out.completeExceptionally(Status.INTERNAL.withDescription("the daemon sent no answer").asRuntimeException());
                } else {
                    out.completeExceptionally(status.asRuntimeException(trailers));
                }
            }
        }, new Metadata());
        call.request(2);
        call.sendMessage(request);
        call.halfClose();
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <Q extends Message> Q defaultOf(Q request) {
        return (Q) request.getDefaultInstanceForType();
    }

    @Override
    public CompletionStage<RuntimeInfo> mount(MountRequest in) {
        return call("Mount", in, RuntimeInfo.getDefaultInstance());
    }

    @Override
    public CompletionStage<UnmountReply> unmount(UnmountRequest in) {
        return call("Unmount", in, UnmountReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<RemoveRuntimeReply> removeRuntime(RemoveRuntimeRequest in) {
        return call("RemoveRuntime", in, RemoveRuntimeReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<RemoveTagReply> removeTag(RemoveTagRequest in) {
        return call("RemoveTag", in, RemoveTagReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<ListReply> list(ListRequest in) {
        return call("List", in, ListReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<StatusReply> status(StatusRequest in) {
        return call("Status", in, StatusReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<ShutdownReply> shutdown(ShutdownRequest in) {
        return call("Shutdown", in, ShutdownReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<CommitReply> commit(CommitRequest in) {
        return call("Commit", in, CommitReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<DiffReply> diff(DiffRequest in) {
        return call("Diff", in, DiffReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<ProgressReply> progress(ProgressRequest in) {
        return call("Progress", in, ProgressReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<SnapshotInfo> createSnapshot(CreateSnapshotRequest in) {
        return call("CreateSnapshot", in, SnapshotInfo.getDefaultInstance());
    }

    @Override
    public CompletionStage<ListSnapshotsReply> listSnapshots(ListSnapshotsRequest in) {
        return call("ListSnapshots", in, ListSnapshotsReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<DeleteSnapshotReply> deleteSnapshot(DeleteSnapshotRequest in) {
        return call("DeleteSnapshot", in, DeleteSnapshotReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<BranchInfo> createBranch(CreateBranchRequest in) {
        return call("CreateBranch", in, BranchInfo.getDefaultInstance());
    }

    @Override
    public CompletionStage<ListBranchesReply> listBranches(ListBranchesRequest in) {
        return call("ListBranches", in, ListBranchesReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<UnbindBranchReply> unbindBranch(UnbindBranchRequest in) {
        return call("UnbindBranch", in, UnbindBranchReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<DiffReply> diffBranch(DiffBranchRequest in) {
        return call("DiffBranch", in, DiffReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<CommitReply> commitBranch(CommitBranchRequest in) {
        return call("CommitBranch", in, CommitReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<DeleteBranchReply> deleteBranch(DeleteBranchRequest in) {
        return call("DeleteBranch", in, DeleteBranchReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<MetricsReply> metrics(MetricsRequest in) {
        return call("Metrics", in, MetricsReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<FleetStatusReply> fleetStatus(FleetStatusRequest in) {
        return call("FleetStatus", in, FleetStatusReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<FleetRuntimesReply> fleetRuntimes(FleetRuntimesRequest in) {
        return call("FleetRuntimes", in, FleetRuntimesReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<FleetActionReply> fleetUnmount(FleetUnmountRequest in) {
        return call("FleetUnmount", in, FleetActionReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<FleetActionReply> fleetDrain(FleetDrainRequest in) {
        return call("FleetDrain", in, FleetActionReply.getDefaultInstance());
    }

    @Override
    public CompletionStage<FleetActionReply> fleetPull(FleetPullRequest in) {
        return call("FleetPull", in, FleetActionReply.getDefaultInstance());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
