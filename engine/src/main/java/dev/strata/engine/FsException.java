package dev.strata.engine;

/** A file system operation that fails with a POSIX errno; the message says which path and why. */
public final class FsException extends Exception {
    private final Errno errno;

    public FsException(Errno errno, String message) {
        super(errno + ": " + message, null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
