package dev.strata.persistence;

/** A ref that names no tag, no tag history entry, or no object. */
public final class UnknownRefException extends RepositoryException {
    public UnknownRefException(String message) {
        super(message);
    }
}
