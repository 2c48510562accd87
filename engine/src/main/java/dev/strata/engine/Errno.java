package dev.strata.engine;

/**
 * The POSIX error conditions the engine answers with, by name. Their numbers differ between
 * platforms (ENOTEMPTY is 39 on Linux and 66 on macOS), so the bridge's platform codec maps them
 * when it answers the kernel.
 */
public enum Errno {
    EPERM, ENOENT, EINTR, EIO, EBADF, EAGAIN, EACCES, EBUSY, EEXIST, EXDEV, ENOTDIR, EISDIR, EINVAL, EFBIG, ENOSPC, EROFS,
    EMLINK, ERANGE, ENAMETOOLONG, ENOSYS, ENOTEMPTY, ELOOP, ENODATA, EOPNOTSUPP, ESTALE
}
