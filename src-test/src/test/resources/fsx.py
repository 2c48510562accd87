#!/usr/bin/python3
"""A seeded random-operation tester in the manner of fsx: random writes, truncates, hole punches,
zeroed ranges, writes through shared maps, in-kernel copies, fsyncs and reopens (the first write
after a reopen of a lower file copies it up) over several files, every read checked against an
in-memory model of what each file must hold.

  fsx.py prepare DIR SEED            writes the starting files (a layer to run over)
  fsx.py run DIR SEED OPS [EXPECTED] checks DIR starts as prepared, runs OPS operations, and writes
                                     the final model to EXPECTED (to compare with a commit's render)

Prints one line of counts; on the first divergence, the operation log's tail and exit status 1.
"""
import ctypes
import mmap
import os
import random
import sys

FILES = 6
MAX_SIZE = 1 << 20
FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10

libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]


def starting_content(seed, i):
    rnd = random.Random(seed * 1000 + i)
    return rnd.randbytes(rnd.randrange(0, MAX_SIZE // 2))


def prepare(directory, seed):
    os.makedirs(directory, exist_ok=True)
    for i in range(FILES):
        with open(os.path.join(directory, "f%d" % i), "wb") as f:
            f.write(starting_content(seed, i))


class Divergence(Exception):
    pass


class Tester:
    def __init__(self, directory, seed):
        self.dir = directory
        self.rnd = random.Random(seed)
        self.model = [bytearray(starting_content(seed, i)) for i in range(FILES)]
        self.fds = [None] * FILES
        self.log = []
        self.counts = {}

    def path(self, i):
        return os.path.join(self.dir, "f%d" % i)

    def fd(self, i):
        if self.fds[i] is None:
            self.fds[i] = os.open(self.path(i), os.O_RDWR)
        return self.fds[i]

    def note(self, text):
        self.log.append(text)
        if len(self.log) > 40:
            del self.log[0]

    def verify(self, i, offset, length):
        want = bytes(self.model[i][offset:offset + length])
        got = os.pread(self.fd(i), length, offset)
        if got != want:
            at = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]), min(len(got), len(want)))
            raise Divergence("f%d: %d bytes read at %d differ from the model from byte %d (read %d, want %d)"
                             % (i, length, offset, offset + at, len(got), len(want)))
        size = os.fstat(self.fd(i)).st_size
        if size != len(self.model[i]):
            raise Divergence("f%d: size %d, the model's %d" % (i, size, len(self.model[i])))

    def op_read(self, i):
        size = len(self.model[i])
        offset = self.rnd.randrange(0, size + 1)
        length = self.rnd.randrange(0, min(65536, size - offset) + 1)
        self.note("read f%d %d+%d" % (i, offset, length))
        self.verify(i, offset, length)

    def op_write(self, i):
        offset = self.rnd.randrange(0, MAX_SIZE - 65536)
        data = self.rnd.randbytes(self.rnd.randrange(1, 65536))
        self.note("write f%d %d+%d" % (i, offset, len(data)))
        os.pwrite(self.fd(i), data, offset)
        m = self.model[i]
        if offset > len(m):
            m.extend(bytes(offset - len(m)))
        m[offset:offset + len(data)] = data

    def op_truncate(self, i):
        size = self.rnd.randrange(0, MAX_SIZE)
        self.note("truncate f%d %d" % (i, size))
        if self.rnd.random() < 0.5:
            os.ftruncate(self.fd(i), size)
        else:
            os.truncate(self.path(i), size)
        m = self.model[i]
        if size < len(m):
            del m[size:]
        else:
            m.extend(bytes(size - len(m)))

    def fallocate(self, i, mode, offset, length):
        if libc.fallocate(self.fd(i), mode, offset, length) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    def op_punch(self, i):
        size = len(self.model[i])
        if size == 0:
            return
        offset = self.rnd.randrange(0, size)
        length = self.rnd.randrange(1, min(131072, size - offset) + 1)
        self.note("punch f%d %d+%d" % (i, offset, length))
        self.fallocate(i, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)
        self.model[i][offset:offset + length] = bytes(length)

    def op_zero(self, i):
        offset = self.rnd.randrange(0, MAX_SIZE - 131072)
        length = self.rnd.randrange(1, 131072)
        keep = self.rnd.random() < 0.5
        self.note("zero f%d %d+%d%s" % (i, offset, length, " keep-size" if keep else ""))
        self.fallocate(i, FALLOC_FL_ZERO_RANGE | (FALLOC_FL_KEEP_SIZE if keep else 0), offset, length)
        m = self.model[i]
        end = offset + length
        if keep:
            end = min(end, len(m))
        if end > len(m):
            m.extend(bytes(end - len(m)))
        if end > offset:
            m[offset:end] = bytes(end - offset)

    def op_mapwrite(self, i):
        size = len(self.model[i])
        if size == 0:
            return
        offset = self.rnd.randrange(0, size)
        data = self.rnd.randbytes(self.rnd.randrange(1, min(65536, size - offset) + 1))
        self.note("mapwrite f%d %d+%d" % (i, offset, len(data)))
        with mmap.mmap(self.fd(i), size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as mapped:
            mapped[offset:offset + len(data)] = data
            if self.rnd.random() < 0.5:
                mapped.flush()
        self.model[i][offset:offset + len(data)] = data

    def op_copy(self, i):
        j = self.rnd.randrange(FILES)
        size = len(self.model[j])
        if j == i or size == 0:
            return
        src = self.rnd.randrange(0, size)
        length = self.rnd.randrange(1, min(131072, size - src) + 1)
        dst = self.rnd.randrange(0, MAX_SIZE - 131072)
        self.note("copy f%d %d+%d -> f%d %d" % (j, src, length, i, dst))
        done = os.copy_file_range(self.fd(j), self.fd(i), length, src, dst)
        data = self.model[j][src:src + done]
        m = self.model[i]
        if dst > len(m):
            m.extend(bytes(dst - len(m)))
        m[dst:dst + done] = data

    def op_fsync(self, i):
        self.note("fsync f%d" % i)
        os.fsync(self.fd(i))

    def op_reopen(self, i):
        self.note("reopen f%d" % i)
        if self.fds[i] is not None:
            os.close(self.fds[i])
            self.fds[i] = None

    OPS = [("read", 20), ("write", 20), ("truncate", 6), ("punch", 6), ("zero", 6), ("mapwrite", 8), ("copy", 6),
           ("fsync", 3), ("reopen", 5)]

    def run(self, count):
        names = [n for n, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        for i in range(FILES):
            self.verify(i, 0, len(self.model[i]))
        for _ in range(count):
            name = self.rnd.choices(names, weights)[0]
            i = self.rnd.randrange(FILES)
            getattr(self, "op_" + name)(i)
            self.counts[name] = self.counts.get(name, 0) + 1
        for i in range(FILES):
            self.verify(i, 0, len(self.model[i]))
        for i in range(FILES):
            self.op_reopen(i)


def main():
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]))
        return 0
    tester = Tester(sys.argv[2], int(sys.argv[3]))
    try:
        tester.run(int(sys.argv[4]))
    except (Divergence, OSError) as e:
        print("fsx: divergence: %s" % e)
        print("fsx: the last operations:\n  " + "\n  ".join(tester.log))
        return 1
    if len(sys.argv) > 5:
        prepare_expected(sys.argv[5], tester.model)
    total = sum(tester.counts.values())
    print("fsx: %d operations, no divergence (%s)" % (total, ", ".join("%s %d" % kv for kv in sorted(tester.counts.items()))))
    return 0


def prepare_expected(directory, model):
    os.makedirs(directory, exist_ok=True)
    for i, content in enumerate(model):
        with open(os.path.join(directory, "f%d" % i), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    sys.exit(main())
