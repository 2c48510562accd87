package dev.strata.persistence;

/** A digest prefix that matches more than one object. */
public final class AmbiguousRefException extends RepositoryException {
    public AmbiguousRefException(String message) {
        super(message);
    }
}
