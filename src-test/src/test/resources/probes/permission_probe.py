"""Permission checks of an editable runtime, run as an unprivileged user inside it.

The runtime's root prepared: shared/ (mode 1777) holding rootfile, owned by root; lower/file is
root's, mode 0644; owned/write-only is the caller's, mode 0200, in a lower layer. Prints "ok NAME" or "FAIL NAME: WHY" per check; exits 1 when any failed.
"""
import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, expect_errno, finish  # noqa: E402


def own_file_in_sticky_dir():
    fd = os.open("shared/mine", os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    assert os.stat("shared/mine").st_uid == os.getuid()
    os.rename("shared/mine", "shared/mine2")
    os.unlink("shared/mine2")


check("a sticky directory protects another user's file")(lambda: expect_errno(errno.EPERM, os.unlink, "shared/rootfile"))
check("a sticky directory protects renames too")(lambda: expect_errno(errno.EPERM, os.rename, "shared/rootfile", "shared/x"))
check("own files in a sticky directory")(own_file_in_sticky_dir)
check("no writing to root's file")(lambda: expect_errno(errno.EACCES, os.open, "lower/file", os.O_WRONLY))
check("no creating in root's directory")(lambda: expect_errno(errno.EACCES, os.mkdir, "lower/new"))
check("no chmod of root's file")(lambda: expect_errno(errno.EPERM, os.chmod, "lower/file", 0o777))
check("no chown of root's file")(lambda: expect_errno(errno.EPERM, os.chown, "lower/file", os.getuid(), -1))
check("no truncate of root's file")(lambda: expect_errno(errno.EACCES, os.truncate, "lower/file", 0))


def write_only_lower_file():
    fd = os.open("owned/write-only", os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"more\n")
    os.close(fd)
    expect_errno(errno.EACCES, os.open, "owned/write-only", os.O_RDONLY)


check("an owner writes a write-only lower file it may not read")(write_only_lower_file)
finish()
