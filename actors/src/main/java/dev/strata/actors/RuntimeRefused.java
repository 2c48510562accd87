package dev.strata.actors;

/** A runtime request that cannot be carried out; {@code reason} tells the control plane which status to answer. */
public final class RuntimeRefused extends RuntimeException {
    /**
     * IN_USE: something depends on what was to change (FAILED_PRECONDITION); DENIED: the caller may not
     * (a rule names why); DRAINING: this node takes no new runtimes for now (UNAVAILABLE).
     */
    public enum Reason { INVALID, NOT_FOUND, ALREADY_EXISTS, IN_USE, DENIED, DRAINING }

    private final Reason reason;

    public RuntimeRefused(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
