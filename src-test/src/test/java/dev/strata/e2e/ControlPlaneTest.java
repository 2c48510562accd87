package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.protocol.ListRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.UnmountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gRPC control plane of a real daemon, called with the generated client: statuses, not just messages. */
class ControlPlaneTest {
    static DaemonFixture daemon;
    static dev.strata.ops.control.ControlClient client;

    @BeforeAll
    static void connect() throws Exception {
        daemon = new DaemonFixture("--no-passthrough");
        daemon.layer("plain", "greeting", "hello from the userspace read path");
        client = daemon.client();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Status.Code failureOf(CompletionStage<?> call) throws Exception {
        try {
            call.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus().getCode();
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void invalidArgumentsUnknownRefsAndDuplicatesGetTheirStatus() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        assertEquals(Status.Code.INVALID_ARGUMENT, failureOf(client.mount(MountRequest.newBuilder().setRootPid(self).setEnvSpec("a++b").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, failureOf(client.mount(MountRequest.newBuilder().setRootPid(-3).setEnvSpec("plain").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, failureOf(client.mount(MountRequest.newBuilder().setRootPid(self).setEnvSpec("plain")
                .setName("bad\0name").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, failureOf(client.mount(MountRequest.newBuilder().setRootPid(999_999_999).setEnvSpec("plain").build())));
        assertEquals(Status.Code.NOT_FOUND, failureOf(client.mount(MountRequest.newBuilder().setRootPid(self).setEnvSpec("missing-tag").build())));
        assertEquals(Status.Code.NOT_FOUND, failureOf(client.unmount(UnmountRequest.newBuilder().setName("never-was").build())));
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            MountRequest first = MountRequest.newBuilder().setRootPid((int) sleeper.pid()).setEnvSpec("plain").setName("first").build();
            assertEquals("first", client.mount(first).toCompletableFuture().get(30, TimeUnit.SECONDS).getName());
            assertEquals(Status.Code.ALREADY_EXISTS, failureOf(client.mount(first.toBuilder().setName("second").build())));
            assertEquals(Status.Code.ALREADY_EXISTS, failureOf(client.mount(first.toBuilder().setRootPid(self).build())));
            assertEquals(List.of("first"), client.list(ListRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .getRuntimesList().stream().map(r -> r.getName()).toList());
            client.unmount(UnmountRequest.newBuilder().setName("first").build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void readsWorkWithoutPassthrough() throws Exception {
        assertTrue(daemon.strata.ok("service", "status").out().contains("passthrough off"));
        Path out = daemon.work.resolve("userspace-read.out");
        String mnt = daemon.mountpoint.toString();
        String script = "cat " + mnt + "/greeting; echo; dd if=" + mnt + "/greeting bs=1 skip=15 count=9 2>/dev/null; echo; "
                + "python3 -c \"import mmap,os; fd=os.open('" + mnt + "/greeting', os.O_RDONLY); "
                + "print(mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)[:5].decode())\"";
        assertEquals(0, DaemonFixture.await(daemon.run("plain", script, out)));
        assertEquals(List.of("hello from the userspace read path", "userspace", "hello"), Files.readAllLines(out));
    }
}
