package dev.strata.actors.fs;

import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import java.nio.file.Path;
import java.util.List;

/** The Mount actor's answer to an {@link FsRequest}; the bridge encodes it for the kernel. */
public sealed interface FsReply {
    /** A looked-up node; {@code cacheAttributes} when the object is immutable and may stay in the kernel's attribute cache. */
    record Entry(long node, Attributes attributes, boolean cacheAttributes) implements FsReply {
    }

    record Attr(Attributes attributes, boolean cacheAttributes) implements FsReply {
    }

    record Bytes(byte[] value) implements FsReply {
    }

    /**
     * An opened file. {@code passthrough} when the bridge may hand the content to the kernel for
     * passthrough (if the kernel offers it); otherwise, and for a file whose handles must follow its
     * copy-up, the bridge serves READ and WRITE from {@code content} through the page cache.
     * {@code keepCache} when the content is immutable, so the page cache survives reopening;
     * {@code writable} when the content is a scratch file (opened read-write, since every open of a
     * node shares one backing file). {@code released} runs when the kernel releases the handle;
     * {@code accessed}, when not null, before the bridge answers the handle's first READ (the kernel
     * leaves a FUSE file's atime to the file system).
     */
    record Opened(FileContent content, boolean keepCache, boolean writable, boolean passthrough, Runnable released,
                  Runnable accessed) implements FsReply {
        /** Immutable layer content, for passthrough. */
        public Opened(Path blob) {
            this(new FileContent(blob), true, false, true, null, null);
        }
    }

    /** CREATE: the new node and its open handle. */
    record Created(Entry entry, Opened opened) implements FsReply {
    }

    record OpenedDir() implements FsReply {
    }

    /** Directory entries from the requested offset; {@code node} and attributes are for READDIRPLUS. */
    record DirEntries(List<DirEntry> entries) implements FsReply {
    }

    /** {@code node} is 0 (and attributes null) where the kernel is not handed a node: "." and "..", or plain READDIR. */
    record DirEntry(byte[] name, long ino, long node, int typeBits, long offset, Attributes attributes) {
    }

    record StatFs(dev.strata.engine.StatFs value) implements FsReply {
    }

    record Xattr(byte[] value) implements FsReply {
    }

    /** xattr names, each followed by NUL, as listxattr(2) returns them. */
    record XattrList(byte[] names) implements FsReply {
    }

    record Ok() implements FsReply {
    }

    record Error(Errno errno, String why) implements FsReply {
    }
}
