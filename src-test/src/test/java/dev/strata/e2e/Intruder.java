package dev.strata.e2e;

import com.google.protobuf.Message;
import dev.strata.ops.control.ControlClient;
import dev.strata.protocol.*;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A local attacker's raw gRPC client, run as another user (setpriv) against a daemon's socket.
 * {@code attacks SOCKET PID ROOT}, with a process of root's runtime and the root of its tree, replays the attacks of issue 9 and prints one {@code name=CODE} line
 * each; {@code fuzz SOCKET SEED COUNT} sends malformed, oversized and random requests.
 */
public final class Intruder {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[1]);
        if (args[0].equals("fuzz")) {
            fuzz(socket, Long.parseLong(args[2]), Integer.parseInt(args[3]));
            return;
        }
        int victimPid = Integer.parseInt(args[2]);
        int self = (int) ProcessHandle.current().pid();
        try (ControlClient c = ControlClient.connect(socket)) {
            report("shutdown", c.shutdown(ShutdownRequest.getDefaultInstance()));
            report("unmount", c.unmount(UnmountRequest.newBuilder().setName("victim-live").build()));
            report("commitBranch", c.commitBranch(CommitBranchRequest.newBuilder().setBranch("victim-branch").setTag("stolen").build()));
            report("deleteBranch", c.deleteBranch(DeleteBranchRequest.newBuilder().setBranch("victim-branch").build()));
            report("diffBranch", c.diffBranch(DiffBranchRequest.newBuilder().setBranch("victim-branch").build()));
            report("deleteSnapshot", c.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setName("victim-snap").build()));
            report("branchOfSnapshot", c.createBranch(CreateBranchRequest.newBuilder().setSnapshot("victim-snap").setName("mine").build()));
            report("snapshotOfVictim", c.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime("victim").setName("stolen").build()));
            report("mountInit", c.mount(MountRequest.newBuilder().setRootPid(1).setEnvSpec("base").setEditable(true).build()));
            report("mountRootProcess", c.mount(MountRequest.newBuilder().setRootPid(victimPid).setEnvSpec("base").setName("trap").build()));
            report("joinDurable", c.mount(MountRequest.newBuilder().setRootPid(self).setJoin(true).setName("victim").build()));
            report("joinLive", c.mount(MountRequest.newBuilder().setRootPid(self).setJoin(true).setName("victim-live").build()));
            report("commitVictim", c.commit(CommitRequest.newBuilder().setPid(victimPid).setTag("base").build()));
            report("diffVictim", c.diff(DiffRequest.newBuilder().setPid(victimPid).build()));
            report("unbindVictim", c.unbindBranch(UnbindBranchRequest.newBuilder().setPid(Integer.parseInt(args[3])).build()));
            report("removeRuntime", c.removeRuntime(RemoveRuntimeRequest.newBuilder().setName("victim").build()));
            report("removeTag", c.removeTag(RemoveTagRequest.newBuilder().setName("base").build()));
            report("progressVictim", c.progress(ProgressRequest.newBuilder().setRuntime("victim-live").build()));
            report("progressOfVictimPid", c.progress(ProgressRequest.newBuilder().setPid(victimPid).build()));
            report("hugeName", c.unmount(UnmountRequest.newBuilder().setName("x".repeat(1 << 20)).build()));
            System.out.println("listed=" + c.list(ListRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS).getRuntimesCount()
                    + "," + c.listSnapshots(ListSnapshotsRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS).getSnapshotsCount()
                    + "," + c.listBranches(ListBranchesRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS).getBranchesCount());
        }
        System.out.println("malformed=" + raw(socket, "Mount", new byte[] {(byte) 0x0a, (byte) 0xff, (byte) 0xff, 0x01}));
    }

    private static void report(String name, java.util.concurrent.CompletionStage<? extends Message> call) {
        String code;
        try {
            call.toCompletableFuture().get(60, TimeUnit.SECONDS);
            code = "OK";
        } catch (java.util.concurrent.ExecutionException e) {
            code = e.getCause() instanceof StatusRuntimeException s ? s.getStatus().getCode().name() + " " + s.getStatus().getDescription()
                    : e.getCause().toString();
        } catch (Exception e) {
            code = e.toString();
        }
        System.out.println(name + "=" + code.replace('\n', ' '));
    }

    /** Sends raw bytes as the body of {@code method}: the code the daemon answers, or the transport's failure. */
    static String raw(Path socket, String method, byte[] body) throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).overrideAuthority("localhost").build();
        try {
            return call(channel, method, body);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String call(ManagedChannel channel, String method, byte[] body) throws Exception {
        MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("strata.v1.StrataControl/" + method).setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
        CompletableFuture<Status> done = new CompletableFuture<>();
        ClientCall<byte[], byte[]> call = channel.newCall(descriptor, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                done.complete(status);
            }
        }, new Metadata());
        call.request(1);
        call.sendMessage(body);
        call.halfClose();
        return done.get(60, TimeUnit.SECONDS).getCode().name();
    }

    /** Malformed, oversized and random requests to every method, on a few connections; prints counts by code. */
    private static void fuzz(Path socket, long seed, int count) throws Exception {
        Random random = new Random(seed);
        String[] methods = {"Mount", "Unmount", "List", "Status", "Commit", "Diff", "CreateSnapshot", "ListSnapshots", "DeleteSnapshot",
                "CreateBranch", "ListBranches", "UnbindBranch", "DiffBranch", "CommitBranch", "DeleteBranch", "Progress", "Shutdown", "NoSuchMethod"};
        java.util.Map<String, Integer> codes = new java.util.TreeMap<>();
        ManagedChannel channel = null;
        try {
            for (int i = 0; i < count; i++) {
                if (i % 500 == 0) {
                    if (channel != null) {
                        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    }
                    channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).overrideAuthority("localhost").build();
                }
                byte[] body;
                int kind = random.nextInt(10);
                if (kind == 0) {
                    body = new byte[100 * 1024 + random.nextInt(100 * 1024)]; // over the size cap
                    random.nextBytes(body);
                } else if (kind < 4) {
                    // a length-delimited name field whose length lies
                    body = new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 'x'};
                } else {
                    body = new byte[random.nextInt(200)];
                    random.nextBytes(body);
                }
                String method = methods[random.nextInt(methods.length)];
                if (method.equals("Shutdown") || method.equals("Mount")) {
                    body = new byte[] {0x08, (byte) 0x80}; // truncated varint: never a valid request
                }
                String code;
                try {
                    code = call(channel, method, body);
                } catch (Exception e) {
                    code = e.getClass().getSimpleName();
                }
                codes.merge(code, 1, Integer::sum);
            }
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        codes.forEach((code, n) -> System.out.println("code " + code + "=" + n));
    }
}
