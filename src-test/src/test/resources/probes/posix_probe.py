"""POSIX behaviour of an editable runtime, checked from inside it.

Run with the current directory in the runtime's view, which holds the layer the test imported:
lower/file, lower/file2, lower/file3, lower/dir/sub/f. Prints one line per check ("ok NAME" or "FAIL NAME: WHY")
and exits 1 when any check failed.
"""
import ctypes
import errno
import fcntl
import mmap
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, expect_errno, finish  # noqa: E402

libc = ctypes.CDLL(None, use_errno=True)


def write(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def renameat2(old, new, flags):
    if libc.renameat2(-100, old.encode(), -100, new.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


@check("unlinked file stays readable and writable through its descriptor")
def _():
    write("gone", b"first ")
    fd = os.open("gone", os.O_RDWR)
    os.unlink("gone")
    assert not os.path.exists("gone")
    os.lseek(fd, 0, os.SEEK_END)
    os.write(fd, b"second")
    assert os.pread(fd, 100, 0) == b"first second"
    assert os.fstat(fd).st_nlink == 0
    os.close(fd)


@check("unlinked lower file stays readable")
def _():
    fd = os.open("lower/file2", os.O_RDONLY)
    os.unlink("lower/file2")
    assert os.read(fd, 100) == b"second lower file\n"
    os.close(fd)
    assert not os.path.exists("lower/file2")


@check("rename replaces atomically")
def _():
    write("ra", b"new")
    write("rb", b"old")
    os.rename("ra", "rb")
    assert read("rb") == b"new" and not os.path.exists("ra")


@check("rename flags: RENAME_NOREPLACE and RENAME_EXCHANGE")
def _():
    write("xa", b"A")
    write("xb", b"B")
    expect_errno(errno.EEXIST, renameat2, "xa", "xb", 1)
    renameat2("xa", "xb", 2)
    assert read("xa") == b"B" and read("xb") == b"A"


@check("directory nlink counts subdirectories")
def _():
    os.mkdir("nl")
    os.mkdir("nl/x")
    os.mkdir("nl/y")
    assert os.stat("nl").st_nlink == 4
    os.rmdir("nl/x")
    assert os.stat("nl").st_nlink == 3


@check("hard links share content and count")
def _():
    write("h1", b"shared")
    os.link("h1", "h2")
    assert os.stat("h1").st_nlink == 2 and os.stat("h1").st_ino == os.stat("h2").st_ino
    with open("h2", "ab") as f:
        f.write(b"!")
    assert read("h1") == b"shared!"
    os.unlink("h2")
    assert os.stat("h1").st_nlink == 1


@check("mtime and ctime update as on ext4")
def _():
    os.mkdir("times")
    before = os.stat("times")
    time.sleep(0.02)
    write("times/f", b"x")
    after = os.stat("times")
    assert after.st_mtime_ns > before.st_mtime_ns and after.st_ctime_ns > before.st_ctime_ns
    f0 = os.stat("times/f")
    time.sleep(0.02)
    os.chmod("times/f", 0o600)
    f1 = os.stat("times/f")
    assert f1.st_ctime_ns > f0.st_ctime_ns and f1.st_mtime_ns == f0.st_mtime_ns
    os.utime("times/f", ns=(1_000_000_123, 2_000_000_456))
    assert os.stat("times/f").st_mtime_ns == 2_000_000_456


@check("inode number survives copy-up")
def _():
    ino = os.stat("lower/file").st_ino
    with open("lower/file", "ab") as f:
        f.write(b"appended\n")
    assert os.stat("lower/file").st_ino == ino
    assert read("lower/file") == b"lower content\nappended\n"


@check("O_EXCL refuses an existing file")
def _():
    expect_errno(errno.EEXIST, os.open, "lower/dir/sub/f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)


@check("O_APPEND appends")
def _():
    write("app", b"one")
    write("app", b"two", os.O_WRONLY | os.O_APPEND)
    assert read("app") == b"onetwo"


@check("O_TRUNC of a lower file")
def _():
    write("lower/dir/sub/f", b"", os.O_WRONLY | os.O_TRUNC)
    assert os.stat("lower/dir/sub/f").st_size == 0


@check("truncate(2) of a lower file by path")
def _():
    ino = os.stat("lower/file3").st_ino
    os.truncate("lower/file3", 3)
    assert read("lower/file3") == b"tru" and os.stat("lower/file3").st_ino == ino


@check("sparse file: holes, SEEK_DATA and SEEK_HOLE")
def _():
    fd = os.open("sparse", os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"data", 4 << 20)
    st = os.fstat(fd)
    assert st.st_size == (4 << 20) + 4
    assert st.st_blocks * 512 < (1 << 20), "blocks %d" % st.st_blocks
    assert os.lseek(fd, 0, os.SEEK_HOLE) == 0
    assert os.lseek(fd, 0, os.SEEK_DATA) >= (4 << 20) - 4096
    os.close(fd)


@check("fallocate and copy_file_range")
def _():
    fd = os.open("alloc", os.O_RDWR | os.O_CREAT, 0o644)
    os.posix_fallocate(fd, 0, 1 << 20)
    assert os.fstat(fd).st_size == 1 << 20
    os.close(fd)
    src = os.open("lower/file", os.O_RDONLY)
    dst = os.open("copied", os.O_WRONLY | os.O_CREAT, 0o644)
    n = os.copy_file_range(src, dst, 100, 0, 0)
    os.close(src)
    os.close(dst)
    assert read("copied") == read("lower/file")[:n] and n > 0


@check("names of 255 bytes; 256 is ENAMETOOLONG")
def _():
    write("n" * 255, b"long")
    assert read("n" * 255) == b"long"
    expect_errno(errno.ENAMETOOLONG, os.open, "n" * 256, os.O_WRONLY | os.O_CREAT, 0o644)


@check("a tree deeper than PATH_MAX, walked with directory descriptors")
def _():
    name = "d" * 200
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    fds = [fd]
    for _ in range(30):  # 30 * 201 bytes: well past PATH_MAX
        os.mkdir(name, dir_fd=fds[-1])
        fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
    leaf = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
    os.write(leaf, b"deep")
    os.close(leaf)
    leaf = os.open("leaf", os.O_RDONLY, dir_fd=fds[-1])
    assert os.read(leaf, 10) == b"deep"
    os.close(leaf)
    os.rename("leaf", "renamed", src_dir_fd=fds[-1], dst_dir_fd=fds[1])
    assert os.stat("renamed", dir_fd=fds[1]).st_size == 4
    for f in fds:
        os.close(f)


@check("a lower directory renames (no EXDEV) and keeps its tree")
def _():
    os.rename("lower/dir", "moved")
    assert read("moved/sub/f") == b"" and not os.path.exists("lower/dir")
    os.rename("moved", "lower/dir")


@check("directory errors: ENOTEMPTY, EISDIR, ENOTDIR, EINVAL")
def _():
    os.makedirs("e/full")
    expect_errno(errno.ENOTEMPTY, os.rmdir, "e")
    expect_errno(errno.EISDIR, os.unlink, "e")
    write("e/file", b"")
    expect_errno(errno.ENOTDIR, os.rmdir, "e/file")
    expect_errno(errno.EINVAL, os.rename, "e", "e/full/inside")


@check("flock and POSIX locks conflict between processes")
def _():
    write("lockme", b"x")
    fd = os.open("lockme", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    pid = os.fork()
    if pid == 0:
        other = os.open("lockme", os.O_RDWR)
        code = 0
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            code = 1
        except BlockingIOError:
            pass
        try:
            fcntl.lockf(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            code = 2
        except OSError:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.WEXITSTATUS(status) == 0, "the other process got the lock (%d)" % os.WEXITSTATUS(status)


@check("extended attributes, also on a lower file")
def _():
    os.setxattr("lower/file", "user.note", b"kept")
    assert os.getxattr("lower/file", "user.note") == b"kept"
    assert "user.note" in os.listxattr("lower/file")
    os.removexattr("lower/file", "user.note")
    expect_errno(errno.ENODATA, os.getxattr, "lower/file", "user.note")


@check("chmod, chown and utimes of a lower file copy up metadata only")
def _():
    os.chmod("lower/dir", 0o750)
    os.chown("lower/dir", 1234, 5678)
    st = os.stat("lower/dir")
    assert stat.S_IMODE(st.st_mode) == 0o750 and st.st_uid == 1234 and st.st_gid == 5678


@check("symlinks, FIFOs and devices")
def _():
    os.symlink("lower/file", "link")
    assert os.readlink("link") == "lower/file" and read("link").startswith(b"lower content")
    os.mkfifo("fifo")
    assert stat.S_ISFIFO(os.lstat("fifo").st_mode)
    os.mknod("null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    assert stat.S_ISCHR(os.lstat("null").st_mode) and os.lstat("null").st_rdev == os.makedev(1, 3)


@check("setgid directories pass their group on")
def _():
    os.mkdir("sg")
    os.chown("sg", 0, 4321)
    os.chmod("sg", 0o2775)
    write("sg/f", b"")
    os.mkdir("sg/d")
    assert os.stat("sg/f").st_gid == 4321
    assert os.stat("sg/d").st_gid == 4321 and os.stat("sg/d").st_mode & stat.S_ISGID


@check("shared writable mmap reaches read()")
def _():
    write("mapped", b"\0" * 4096)
    fd = os.open("mapped", os.O_RDWR)
    m = mmap.mmap(fd, 4096)
    m[0:5] = b"hello"
    m.flush()
    m.close()
    assert os.pread(fd, 5, 0) == b"hello"
    os.close(fd)


@check("fsync of a file and a directory")
def _():
    fd = os.open("synced", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"durable")
    os.fsync(fd)
    os.fdatasync(fd)
    os.close(fd)
    d = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(d)
    os.close(d)


finish()
