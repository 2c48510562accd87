package dev.strata.actors.fs;

import dev.strata.engine.OpenIntent;
import dev.strata.engine.Overlay;

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

    record Open(Caller caller, long node, OpenIntent intent) implements FsRequest {
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

    /** FSYNC and FSYNCDIR: make the view's acknowledged changes durable (the bridge syncs file data). */
    record Sync(Caller caller, long node) implements FsRequest {
    }

    /** A request that changes the view: a read-only runtime refuses it with EROFS. */
    sealed interface Change extends FsRequest {
        /** The operation's name, for messages. */
        String operation();
    }

    /** {@code mode} is masked by the caller's umask already. */
    record Create(Caller caller, long parent, byte[] name, int mode, OpenIntent intent) implements Change {
        public String operation() {
            return "create";
        }
    }

    /**
     * open(2) with O_TMPFILE: a file made in {@code parent} without a name, open for its maker; linkat(2)
     * may give it one later unless its intent is {@code exclusive} (O_EXCL).
     */
    record CreateUnnamed(Caller caller, long parent, int mode, OpenIntent intent) implements Change {
        public String operation() {
            return "O_TMPFILE open";
        }
    }

    /** {@code mode} carries the file type bits. */
    record MakeNode(Caller caller, long parent, byte[] name, int mode, long rdev) implements Change {
        public String operation() {
            return "mknod";
        }
    }

    record MakeDirectory(Caller caller, long parent, byte[] name, int mode) implements Change {
        public String operation() {
            return "mkdir";
        }
    }

    record Symlink(Caller caller, long parent, byte[] name, byte[] target) implements Change {
        public String operation() {
            return "symlink";
        }
    }

    record Link(Caller caller, long node, long newParent, byte[] newName) implements Change {
        public String operation() {
            return "link";
        }
    }

    record Unlink(Caller caller, long parent, byte[] name) implements Change {
        public String operation() {
            return "unlink";
        }
    }

    record RemoveDirectory(Caller caller, long parent, byte[] name) implements Change {
        public String operation() {
            return "rmdir";
        }
    }

    /** {@code flags}: the engine's {@code Overlay.RENAME_NOREPLACE} and {@code RENAME_EXCHANGE}. */
    record Rename(Caller caller, long parent, byte[] name, long newParent, byte[] newName, int flags) implements Change {
        public String operation() {
            return "rename";
        }
    }

    record SetAttr(Caller caller, long node, Overlay.SetAttributes change) implements Change {
        public String operation() {
            return "setattr";
        }
    }

    /** {@code flags}: the engine's {@code Overlay.XATTR_CREATE} and {@code XATTR_REPLACE}. */
    record SetXattr(Caller caller, long node, String name, byte[] value, int flags) implements Change {
        public String operation() {
            return "setxattr";
        }
    }

    record RemoveXattr(Caller caller, long node, String name) implements Change {
        public String operation() {
            return "removexattr";
        }
    }
}
