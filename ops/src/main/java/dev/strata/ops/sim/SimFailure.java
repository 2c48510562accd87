package dev.strata.ops.sim;

import io.grpc.StatusRuntimeException;
import java.util.concurrent.ExecutionException;

/** Short names for what went wrong, as the report counts errors by kind. */
final class SimFailure {
    private SimFailure() {
    }

    /** The daemon's refusal (its status code and message), a timeout, or the exception's own message, in one short line. */
    static String describe(Throwable e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof StatusRuntimeException s) {
            String message = s.getStatus().getDescription();
            return s.getStatus().getCode() + (message == null ? "" : ": " + shorten(message));
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return "no answer within 60 s";
        }
        if (cause instanceof Worker.Gone g) {
            return g.getMessage();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + shorten(cause.getMessage()));
    }

    /** The kind of a failure for counting: its status code or exception name, without the details that vary. */
    static String kind(Throwable e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof StatusRuntimeException s) {
            return s.getStatus().getCode().name();
        }
        if (cause instanceof Worker.Gone g) {
            return g.getMessage();
        }
        return cause.getClass().getSimpleName();
    }

    private static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
