package dev.strata.persistence;

/** An env spec or ref that cannot be parsed. */
public final class MalformedSpecException extends RepositoryException {
    public MalformedSpecException(String message) {
        super(message);
    }
}
