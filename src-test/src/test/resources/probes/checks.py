"""What the probes share: named checks that report and go on, and errno expectations."""
import errno
import sys

failures = []


def check(name):
    """Runs the decorated function as a check named NAME: prints "ok NAME" or "FAIL NAME: WHY"."""
    def run(fn):
        try:
            fn()
            print("ok", name)
        except Exception as e:  # report and go on: every check runs
            failures.append(name)
            print("FAIL %s: %r" % (name, e))
        return fn
    return run


def expect_errno(code, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        if e.errno != code:
            raise AssertionError("expected %s, got %s" % (errno.errorcode[code], errno.errorcode.get(e.errno)))
        return
    raise AssertionError("expected %s, got success" % errno.errorcode[code])


def finish():
    """Prints the count of failed checks and exits 1 when there are any."""
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)
