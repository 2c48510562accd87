package dev.strata.persistence;

/** Stored or received content that is not what its digest says. */
public final class CorruptObjectException extends RepositoryException {
    private final String problem;

    public CorruptObjectException(Digest digest, String problem) {
        this("object " + digest + " is corrupt: " + problem, problem);
    }

    private CorruptObjectException(String message, String problem) {
        super(message);
        this.problem = problem;
    }

    /** The same problem, said of a copy that {@code source} sent: the content is refused. */
    public CorruptObjectException receivedFrom(String kind, Digest digest, String source) {
        return new CorruptObjectException(kind + " " + digest + " from " + source + " was refused: " + problem, problem);
    }
}
