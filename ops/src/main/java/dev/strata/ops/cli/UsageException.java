package dev.strata.ops.cli;

import dev.strata.persistence.RepositoryException;

/** The user asked for something malformed (the daemon answered INVALID_ARGUMENT): exit code 2, like a usage error. */
final class UsageException extends RepositoryException {
    UsageException(String message) {
        super(message);
    }
}
