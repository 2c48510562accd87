"""Holds a file open and privately mapped (as the loader maps binaries) across another view's use of
the same path: mmap_probe.py FILE READY_MARKER GO_MARKER. Prints what it saw before and after."""
import mmap
import os
import sys
import time

path, ready, go = sys.argv[1:4]
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
mapping = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
print("read-before", os.pread(fd, size, 0).decode().strip())
print("map-before", mapping[:].decode().strip())
open(ready, "w").close()
deadline = time.time() + 30
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.02)
print("read-after", os.pread(fd, size, 0).decode().strip())
print("map-after", mapping[:].decode().strip())
with open(path) as again:
    print("reopen-after", again.read().strip())
