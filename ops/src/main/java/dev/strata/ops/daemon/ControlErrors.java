package dev.strata.ops.daemon;

import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.japi.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the control plane answers for a request it could not even read: a body that is not the
 * message it should be, or one over the size limit, is INVALID_ARGUMENT (not INTERNAL), and is
 * logged as at most one WARN line a minute with a count, never with the client's bytes.
 */
final class ControlErrors {
    private static final Logger log = LoggerFactory.getLogger(ControlErrors.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;
    private static final AtomicLong suppressed = new AtomicLong();
    private static final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

    private ControlErrors() {
    }

    static Function<ActorSystem, Function<Throwable, Trailers>> handler() {
        return system -> ControlErrors::trailers;
    }

    static Trailers trailers(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause
                && (cause instanceof java.util.concurrent.CompletionException || cause instanceof java.util.concurrent.ExecutionException)) {
            cause = cause.getCause();
        }
        if (cause instanceof GrpcServiceException g) {
            return new Trailers(g.getStatus(), g.getMetadata());
        }
        if (cause instanceof UnsupportedOperationException) {
            badRequest("no such method");
            return new Trailers(Status.UNIMPLEMENTED.withDescription("no such method"));
        }
        String kind = kindOf(cause);
        if (kind != null) {
            badRequest(kind);
            return new Trailers(Status.INVALID_ARGUMENT.withDescription(kind));
        }
        log.error("a control call failed unexpectedly", cause);
        return new Trailers(Status.INTERNAL.withDescription("internal error: " + cause.getClass().getSimpleName()));
    }

    /** The kind of malformed request, or null when the failure is not the client's. */
    private static String kindOf(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String name = t.getClass().getName();
            if (t instanceof com.google.protobuf.InvalidProtocolBufferException) {
                return "malformed request: the body is not a valid protobuf message";
            }
            if (name.endsWith("EntityStreamSizeException")) {
                return "request too large: the control plane accepts at most 64 KiB";
            }
            if (name.contains("ProtocolException") || name.endsWith("GrpcProtocolException") || name.contains("MissingParameter")) {
                return "malformed request: not a gRPC message";
            }
        }
        return null;
    }

    private static void badRequest(String kind) {
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
            long more = suppressed.getAndSet(0);
            log.warn("refused a malformed control request ({}){}", kind, more > 0 ? "; " + more + " more since the last warning" : "");
        } else {
            suppressed.incrementAndGet();
        }
    }
}
