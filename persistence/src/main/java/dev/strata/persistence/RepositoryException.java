package dev.strata.persistence;

/** A repository operation that failed for a reason worth telling the user in one sentence. */
public class RepositoryException extends RuntimeException {
    public RepositoryException(String message) {
        super(message);
    }

    public RepositoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
