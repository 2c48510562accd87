package dev.strata.actors.fs;

/**
 * A file system request decoded from the kernel, as the Mount actor that owns the caller's view
 * receives it. Node ids are the kernel's; the root is {@link #ROOT}.
 */
public sealed interface FsRequest {
    long ROOT = 1;

    Caller caller();

    record Lookup(Caller caller, long parent, byte[] name) implements FsRequest {
    }

    record GetAttr(Caller caller, long node) implements FsRequest {
    }

    record ReadLink(Caller caller, long node) implements FsRequest {
    }

    /** {@code flags} are open(2)'s. */
    record Open(Caller caller, long node, int flags) implements FsRequest {
    }

    record OpenDir(Caller caller, long node) implements FsRequest {
    }

    record ReadDir(Caller caller, long node, long offset, boolean plus) implements FsRequest {
    }

    record StatFs(Caller caller, long node) implements FsRequest {
    }

    /** {@code mask} is access(2)'s: R_OK 4, W_OK 2, X_OK 1, F_OK 0. */
    record Access(Caller caller, long node, int mask) implements FsRequest {
    }

    record GetXattr(Caller caller, long node, String name) implements FsRequest {
    }

    record ListXattr(Caller caller, long node) implements FsRequest {
    }

    /** Any mutation: refused with EROFS by a read-only view. */
    record Mutation(Caller caller, long node, String operation) implements FsRequest {
    }
}
