package dev.strata.ops.cli;

import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.DaemonAddress;
import dev.strata.persistence.RepositoryException;
import dev.strata.ops.control.ControlClient;
import dev.strata.protocol.StrataControl;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * A CLI command's connection to the daemon of its {@code STRATA_HOME}: its gRPC socket, or, for a
 * command the daemon runs itself for a caller (see {@link StrataCommand#executeFor}), that caller's
 * control service in the daemon.
 */
final class DaemonClient implements AutoCloseable {
    private final StrataControl client;
    private final DaemonAddress address;

    private DaemonClient(StrataControl client, DaemonAddress address) {
        this.client = client;
        this.address = address;
    }

    static DaemonClient connect(StrataCommand strata) {
        if (strata.inDaemon() != null) {
            return new DaemonClient(strata.inDaemon(), null);
        }
        StrataHome home = strata.home();
        DaemonAddress address = DaemonAddress.find(home).orElseThrow(() -> new RepositoryException(
                "no strata daemon is running for STRATA_HOME=" + home.root() + "; start one with: strata service start"));
        return new DaemonClient(ControlClient.connect(address.socket()), address);
    }

    /** One call to the daemon, on a connection opened and closed for it. */
    static <T> T once(StrataCommand strata, Function<StrataControl, CompletionStage<T>> rpc, java.time.Duration patience) {
        try (DaemonClient client = connect(strata)) {
            return client.call(rpc, patience);
        }
    }

    static <T> T once(StrataCommand strata, Function<StrataControl, CompletionStage<T>> rpc) {
        return once(strata, rpc, java.time.Duration.ofMinutes(1));
    }

    DaemonAddress address() {
        return address;
    }

    /** Calls the daemon and waits; a refusal becomes an error that says what the daemon said. */
    <T> T call(Function<StrataControl, CompletionStage<T>> rpc) {
        return call(rpc, java.time.Duration.ofMinutes(1));
    }

    <T> T call(Function<StrataControl, CompletionStage<T>> rpc, java.time.Duration patience) {
        return call(rpc, patience, patience, () -> { });
    }

    /** The same, calling {@code meanwhile} every {@code every} until the answer comes. */
    <T> T call(Function<StrataControl, CompletionStage<T>> rpc, java.time.Duration patience, java.time.Duration every, Runnable meanwhile) {
        long deadline = System.nanoTime() + patience.toNanos();
        try {
            java.util.concurrent.CompletableFuture<T> answer = rpc.apply(client).toCompletableFuture();
            while (true) {
                long left = deadline - System.nanoTime();
                try {
                    return answer.get(Math.max(0, Math.min(left, every.toNanos())), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw e;
                    }
                    meanwhile.run();
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StatusRuntimeException s) {
                String message = s.getStatus().getDescription() != null ? s.getStatus().getDescription() : s.getStatus().toString();
                throw s.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT ? new UsageException(message) : new RepositoryException(message);
            }
            if (cause instanceof GrpcServiceException g) {
                throw new RepositoryException(g.getStatus().getDescription());
            }
            throw new RepositoryException("the daemon did not answer: " + cause);
        } catch (TimeoutException e) {
            throw new RepositoryException("the daemon did not answer within " + patience.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException("interrupted");
        }
    }

    @Override
    public void close() {
        if (client instanceof ControlClient socket) {
            socket.close();
        }
    }
}
