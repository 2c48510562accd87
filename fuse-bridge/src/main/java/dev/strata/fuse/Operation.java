package dev.strata.fuse;

/**
 * The kernel's requests by name, on every platform: what metrics count and the session dispatches
 * on. A codec maps its platform's opcode numbers to these; the last three exist only on macOS.
 */
public enum Operation {
    LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME, RENAME2, LINK,
    OPEN, READ, WRITE, STATFS, RELEASE, FSYNC, SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR, FLUSH, INIT, OPENDIR, READDIR,
    READDIRPLUS, RELEASEDIR, FSYNCDIR, ACCESS, CREATE, INTERRUPT, DESTROY, FALLOCATE, LSEEK, COPY_FILE_RANGE, TMPFILE,
    GETLK, SETLK, SETLKW, BMAP, IOCTL, POLL, NOTIFY_REPLY, SYNCFS, STATX,
    SETVOLNAME, GETXTIMES, EXCHANGE,
    /** An opcode this bridge does not know: answered ENOSYS. */
    UNKNOWN
}
