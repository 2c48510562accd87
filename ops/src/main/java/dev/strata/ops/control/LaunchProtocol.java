package dev.strata.ops.control;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.strata.actors.Caller;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.OwnMountRequest;
import dev.strata.protocol.StrataControl;
import dev.strata.protocol.UnmountRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's protocol, on its own Unix socket beside the gRPC one: the native {@code strata run}
 * front end starts and ends runtimes with it in one round trip each, where HTTP/2 and HPACK in C would
 * cost more code than the whole launcher. Frames are a 4-byte big-endian length, a kind byte and a
 * protobuf body: kind 1 a {@code MountRequest}, answered by a {@code RuntimeInfo}; kind 2 an
 * {@code UnmountRequest}, answered by nothing; kind 3 a {@code CliRequest}, a command the daemon runs
 * for the caller, answered by a {@code CliReply}; kind 4 an {@code OwnMountRequest}, after a kind 1 that
 * asked for an own mount, answered by an {@code OwnMountReply}. An answer's kind byte is the gRPC status code (0 OK), and
 * a refusal's body is its message in UTF-8. Before a CLI call's answer may come frames of kind
 * {@value #OUTPUT}: what the command writes to stderr meanwhile (its progress), for a caller whose
 * stderr is a terminal. Calls go to the same per-caller control service, so the
 * same identity and rules apply as on gRPC.
 */
public final class LaunchProtocol implements ControlSocketServer.Connections {
    private static final Logger log = LoggerFactory.getLogger(LaunchProtocol.class);
    static final int MOUNT = 1;
    static final int UNMOUNT = 2;
    static final int CLI = 3;
    static final int OWN_MOUNT = 4;
    static final int OUTPUT = 64;
    static final int MAX_FRAME = 64 * 1024;

    /**
     * Runs a CLI command in the daemon for a caller (its control service and its process); what it
     * writes to {@code liveErr} reaches the caller's stderr while it runs.
     */
    @FunctionalInterface
    public interface Cli {
        dev.strata.protocol.CliReply run(dev.strata.protocol.CliRequest request, StrataControl control, Caller caller,
                                         dev.strata.persistence.Repository repository, java.io.OutputStream liveErr);
    }

    private final Function<Caller, StrataControl> services;
    private final java.util.function.BiFunction<Caller, OwnMountRequest, CompletionStage<? extends Message>> ownMounts;
    private final Cli cli;
    private final dev.strata.persistence.Repository repository;

    /**
     * A thread per connection (a tree's front end keeps its connection for the tree's life, to end it),
     * taken from a pool: starting a thread for every tree cost the daemon more CPU than binding the tree.
     */
    private final java.util.concurrent.ExecutorService conversations = java.util.concurrent.Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "strata-launch");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * {@code ownMounts}: serves a caller's own connection (it takes a descriptor of the caller's process,
     * which gRPC cannot name); {@code repository}: the daemon's, which the commands it runs read for their callers.
     */
    public LaunchProtocol(Function<Caller, StrataControl> services,
                          java.util.function.BiFunction<Caller, OwnMountRequest, CompletionStage<? extends Message>> ownMounts, Cli cli,
                          dev.strata.persistence.Repository repository) {
        this.services = services;
        this.ownMounts = ownMounts;
        this.cli = cli;
        this.repository = repository;
    }

    @Override
    public void serve(UnixSocket connection, Caller caller) {
        conversations.execute(() -> converse(connection, services.apply(caller), caller));
    }

    private void converse(UnixSocket connection, StrataControl service, Caller caller) {
        // buffered: DataInput/Output would otherwise make a system call for every byte of a length
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(connection.input()));
             DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(connection.output()))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException closed) {
                    return;
                }
                if (length < 1 || length > MAX_FRAME) {
                    reply(out, Status.Code.INVALID_ARGUMENT.value(), "a launch frame of " + length + " bytes (at most " + MAX_FRAME + ")");
                    return;
                }
                byte[] frame = new byte[length];
                in.readFully(frame);
                answer(service, caller, frame, out);
            }
        } catch (IOException e) {
            log.debug("a launch connection ended: {}", e.toString());
        }
    }

    private void answer(StrataControl service, Caller caller, byte[] frame, DataOutputStream out) throws IOException {
        byte[] body = java.util.Arrays.copyOfRange(frame, 1, frame.length);
        try {
            Message reply = switch (frame[0]) {
                case MOUNT -> await(service.mount(MountRequest.parseFrom(body)));
                case UNMOUNT -> await(service.unmount(UnmountRequest.parseFrom(body)));
                case OWN_MOUNT -> await(ownMounts.apply(caller, OwnMountRequest.parseFrom(body)));
                case CLI -> {
                    if (cli == null) {
                        throw Status.UNIMPLEMENTED.withDescription("this daemon runs no commands").asRuntimeException();
                    }
                    yield cli.run(dev.strata.protocol.CliRequest.parseFrom(body), service, caller, repository, outputFrames(out));
                }
                default -> throw Status.UNIMPLEMENTED.withDescription("no launch call of kind " + frame[0]).asRuntimeException();
            };
            synchronized (out) { // a progress bar's last refresh may still be writing output frames
                out.writeInt(1 + reply.getSerializedSize());
                out.writeByte(0);
                reply.writeTo(out);
                out.flush();
            }
        } catch (InvalidProtocolBufferException e) {
            reply(out, Status.Code.INVALID_ARGUMENT.value(), "malformed request: the body is not a valid protobuf message");
        } catch (StatusRuntimeException e) {
            reply(out, e.getStatus().getCode().value(), String.valueOf(e.getStatus().getDescription()));
        }
    }

    /** A stream whose every write goes out at once as an {@link #OUTPUT} frame. */
    private static java.io.OutputStream outputFrames(DataOutputStream out) {
        return new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                synchronized (out) {
                    out.writeInt(1 + len);
                    out.writeByte(OUTPUT);
                    out.write(b, off, len);
                    out.flush();
                }
            }
        };
    }

    private static <T> T await(CompletionStage<T> call) {
        try {
            return call.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.INTERNAL.withDescription(String.valueOf(e.getCause())).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.asRuntimeException();
        } catch (java.util.concurrent.TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("the daemon did not answer in 60 s").asRuntimeException();
        }
    }

    private static void reply(DataOutputStream out, int code, String message) throws IOException {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.writeInt(1 + text.length);
            out.writeByte(code);
            out.write(text);
            out.flush();
        }
    }
}
