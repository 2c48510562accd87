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

    /**
     * An extended attribute that {@code what} does not have: ENODATA, except in the namespaces Strata
     * keeps nothing of its own in, POSIX ACLs ({@code system.}) and SELinux labels: those answer
     * EOPNOTSUPP, as a file system without them does. {@code ls -l} asks both of every file; on
     * EOPNOTSUPP it stops asking for the rest of the file system, where ENODATA cost two kernel round
     * trips per file.
     */
    public static FsException noAttribute(String what, String name) {
        boolean unsupported = name.startsWith("system.") || name.equals("security.selinux");
        return new FsException(unsupported ? Errno.EOPNOTSUPP : Errno.ENODATA, what + " has no attribute " + name);
    }
}
