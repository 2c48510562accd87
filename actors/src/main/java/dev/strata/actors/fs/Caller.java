package dev.strata.actors.fs;

/** Who sent a kernel request: the calling thread's id (not its process) and credentials. */
public record Caller(int tid, int uid, int gid) {
    /** Requests the kernel sends on its own behalf (writeback, release, forget) carry pid 0. */
    public boolean isKernel() {
        return tid == 0;
    }
}
