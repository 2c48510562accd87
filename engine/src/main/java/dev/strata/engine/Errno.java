package dev.strata.engine;

/** POSIX error numbers as Linux defines them; the FUSE bridge negates them once, at the edge. */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), EBADF(9), EAGAIN(11), EACCES(13), EBUSY(16), EEXIST(17), EXDEV(18), ENOTDIR(20), EISDIR(21),
    EINVAL(22), EFBIG(27), ENOSPC(28), EROFS(30), EMLINK(31), ERANGE(34), ENAMETOOLONG(36), ENOSYS(38), ENOTEMPTY(39), ELOOP(40),
    ENODATA(61), EOPNOTSUPP(95), ESTALE(116);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
