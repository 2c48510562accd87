package dev.strata.persistence;

/** A stored object that does not decode, or whose content does not match its digest. */
public final class CorruptObjectException extends RepositoryException {
    public CorruptObjectException(Digest digest, String problem) {
        super("object " + digest + " is corrupt: " + problem);
    }
}
