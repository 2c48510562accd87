package dev.strata.persistence;

/** A user asked to change something that belongs to another user; the message names the rule. */
public class PermissionDeniedException extends RepositoryException {
    public PermissionDeniedException(String message) {
        super(message);
    }
}
