package dev.strata.ops.control;

import dev.strata.actors.Caller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.NoLogging$;
import org.apache.pekko.http.impl.engine.http2.Http2Blueprint$;
import org.apache.pekko.http.impl.engine.http2.TelemetrySpi;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;

/**
 * The daemon's control plane on a Unix domain socket: gRPC (HTTP/2 with prior knowledge, as Pekko
 * gRPC serves it) over each accepted connection, with a request handler made for that connection's
 * kernel-attested caller. So identity is bound to the connection before a byte of a request is
 * read, and no request field or header can claim another one.
 *
 * <p>Pekko HTTP binds HTTP/2 only to TCP; its HTTP/2 server stack is joined here to the socket's
 * byte streams instead (the same stack {@code Http2Ext.bindAndHandleAsync} joins to a TCP
 * connection). Each connection holds one thread blocked in read(2).
 */
public final class ControlSocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlSocketServer.class);

    private final Path path;
    private final UnixSocket listener;
    private final Thread acceptor;
    private final Set<UnixSocket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /** What serves one accepted connection of a known caller; it must not block the accepting thread. */
    public interface Connections {
        void serve(UnixSocket connection, Caller caller);
    }

    private ControlSocketServer(Path path, UnixSocket listener, Connections connections) {
        this.path = path;
        this.listener = listener;
        this.acceptor = new Thread(() -> acceptLoop(connections), "strata-accept-" + path.getFileName());
        acceptor.setDaemon(true);
    }

    /**
     * Listens at {@code path}. A socket file left by a dead daemon is replaced; one that a live
     * process answers on is refused, so a second daemon never steals the first one's clients.
     */
    public static ControlSocketServer start(Path path, ActorSystem<?> system,
                                            Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> handlers)
            throws IOException {
        return start(path, new Grpc(system, handlers));
    }

    /** Listens at {@code path}, handing each connection and its caller to {@code connections}. */
    public static ControlSocketServer start(Path path, Connections connections) throws IOException {
        Files.createDirectories(path.getParent());
        if (Files.exists(path)) {
            try (UnixSocket probe = UnixSocket.connect(path)) {
                throw new IOException("another daemon is listening on " + path);
            } catch (IOException refused) {
                if (refused.getMessage().startsWith("another daemon")) {
                    throw refused;
                }
                Files.deleteIfExists(path); // nobody answers: a dead daemon's socket
            }
        }
        ControlSocketServer server = new ControlSocketServer(path, UnixSocket.listen(path, 128), connections);
        server.acceptor.start();
        return server;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop(Connections connections) {
        while (!closing) {
            UnixSocket connection;
            try {
                connection = listener.accept();
            } catch (IOException e) {
                if (!closing) {
                    log.error("the control socket {} stopped accepting: {}", path, e.getMessage());
                }
                return;
            }
            try {
                Caller caller = connection.peer().caller();
                open.add(connection);
                connection.whenClosed(() -> open.remove(connection));
                connections.serve(connection, caller);
            } catch (IOException | RuntimeException e) {
                log.warn("dropped a control connection: {}", e.toString());
                connection.close();
            }
        }
    }

    /** gRPC: Pekko HTTP's HTTP/2 server stack over the connection's bytes, with a handler made for its caller. */
    private static final class Grpc implements Connections {
        /** The control plane takes small messages only: names, specs, pids. */
        private static final int MAX_REQUEST_BYTES = 64 * 1024;
        private static final java.time.Duration REQUEST_READ_TIME = java.time.Duration.ofSeconds(10);
        private static final ContentType GRPC = ContentTypes.parse("application/grpc+proto");

        private final Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> handlers;
        private final ServerSettings settings;
        private final TelemetrySpi telemetry;
        private final org.apache.pekko.http.impl.engine.rendering.DateHeaderRendering dates;
        private final Materializer materializer;
        private final ExecutionContext ec;

        Grpc(ActorSystem<?> system, Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> handlers) {
            org.apache.pekko.actor.ActorSystem classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system);
            this.handlers = handlers;
            this.settings = (ServerSettings) org.apache.pekko.http.javadsl.settings.ServerSettings.create(classic);
            this.telemetry = TelemetrySpi.create(classic);
            this.dates = org.apache.pekko.http.scaladsl.Http$.MODULE$.apply(classic).dateHeaderRendering();
            this.materializer = Materializer.matFromSystem(system);
            this.ec = system.executionContext();
        }

        /**
         * Reads the request's body to the end of its stream before any handler sees it. Pekko HTTP
         * resets a stream whose body its consumer cancels (RST_STREAM CANCEL, dropping the answer),
         * and the gRPC handler cancels after its one message, racing the client's END_STREAM: the
         * client then saw CANCELLED instead of the answer. A body over the cap is read on and
         * dropped, so that the refusal reaches the client.
         */
        private CompletionStage<HttpResponse> answerWhole(HttpRequest request, Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
            return request.entity().getDataBytes().completionTimeout(REQUEST_READ_TIME)
                    .runFold(new Body(), Body::append, materializer)
                    .handle((body, failure) -> {
                        if (failure != null) {
                            return CompletableFuture.completedFuture(trailersOnly(4, "the request did not arrive within "
                                    + REQUEST_READ_TIME.toSeconds() + " s"));
                        }
                        if (body.dropped > 0) {
                            return CompletableFuture.completedFuture(trailersOnly(8, "the request is over 64 KiB"));
                        }
                        return handler.apply(request.withEntity(HttpEntities.create(request.entity().getContentType(), body.bytes.result())));
                    })
                    .thenCompose(Function.identity());
        }

        /** Up to {@link #MAX_REQUEST_BYTES} of a body; what comes after is counted, not kept. */
        private static final class Body {
            final ByteStringBuilder bytes = new ByteStringBuilder();
            long dropped;

            Body append(ByteString chunk) {
                if (dropped == 0 && bytes.length() + chunk.size() <= MAX_REQUEST_BYTES) {
                    bytes.append(chunk);
                } else {
                    dropped += chunk.size();
                }
                return this;
            }
        }

        /** A gRPC answer of a status alone, as a trailers-only response. */
        private static HttpResponse trailersOnly(int grpcStatus, String message) {
            return HttpResponse.create()
                    .addHeader(RawHeader.create("grpc-status", Integer.toString(grpcStatus)))
                    .addHeader(RawHeader.create("grpc-message", message))
                    .withEntity(HttpEntities.create(GRPC, new byte[0]));
        }

        @Override
        public void serve(UnixSocket connection, Caller caller) {
            Function<HttpRequest, CompletionStage<HttpResponse>> handler = handlers.apply(caller);
            scala.Function1<org.apache.pekko.http.scaladsl.model.HttpRequest,
                    scala.concurrent.Future<org.apache.pekko.http.scaladsl.model.HttpResponse>> app =
                    request -> FutureConverters.asScala(answerWhole(request, handler)
                            .thenApply(response -> (org.apache.pekko.http.scaladsl.model.HttpResponse) response));
            Flow<org.apache.pekko.http.scaladsl.model.HttpRequest, org.apache.pekko.http.scaladsl.model.HttpResponse, ?> requests =
                    Flow.fromGraph(Http2Blueprint$.MODULE$.handleWithStreamIdHeader(settings.http2Settings().maxConcurrentStreams(), app, ec));
            // library chatter about malformed frames would echo client bytes into the log: the stack is silent,
            // and a broken connection is simply closed
            BidiFlow<org.apache.pekko.http.scaladsl.model.HttpResponse, ByteString, ByteString,
                    org.apache.pekko.http.scaladsl.model.HttpRequest, ?> http2 = BidiFlow.fromGraph(Http2Blueprint$.MODULE$.serverStack(
                    settings, NoLogging$.MODULE$, Http2Blueprint$.MODULE$.serverStack$default$3(), false, telemetry, dates));
            Flow<ByteString, ByteString, ?> bytes = Flow.fromSinkAndSourceCoupled(
                    StreamConverters.fromOutputStream(connection::output, true),
                    StreamConverters.fromInputStream(connection::input, 64 * 1024));
            // the coupled flow closes both halves when either side ends, which closes the socket
            requests.join(http2).join(bytes).run(materializer);
        }
    }

    @Override
    public void close() {
        closing = true;
        listener.close();
        open.forEach(UnixSocket::close);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove the control socket {}: {}", path, e.getMessage());
        }
    }
}
