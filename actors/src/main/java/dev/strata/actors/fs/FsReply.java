package dev.strata.actors.fs;

import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import java.nio.file.Path;
import java.util.List;

/** The Mount actor's answer to an {@link FsRequest}; the bridge encodes it for the kernel. */
public sealed interface FsReply {
    /**
     * How long the kernel may keep a name's binding to its node: not past the request, a moment (a
     * directory: its node is one per path, and a request reaching it from a view without it is
     * answered ESTALE), or while every view agrees ({@link dev.strata.engine.SharedAnswers}).
     */
    enum EntryCaching { NONE, BRIEF, SHARED }

    /**
     * A looked-up node; {@code cacheAttributes} when its attributes may stay in the kernel's cache
     * (immutable content, or a directory every view agrees on).
     */
    record Entry(long node, Attributes attributes, boolean cacheAttributes, EntryCaching entryCaching) implements FsReply {
        /** A directory's entry for a moment, anything else's not at all. */
        public Entry(long node, Attributes attributes, boolean cacheAttributes) {
            this(node, attributes, cacheAttributes, attributes != null && (attributes.mode() & 0170000) == 0040000 ? EntryCaching.BRIEF : EntryCaching.NONE);
        }
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

    /** An opened directory; {@code cacheListing} when the kernel may keep its listing, {@code keepListing} when the one it kept still holds. */
    record OpenedDir(boolean cacheListing, boolean keepListing) implements FsReply {
        public OpenedDir() {
            this(false, false);
        }
    }

    /** Directory entries from the requested offset; {@code node} and attributes are for READDIRPLUS. */
    record DirEntries(List<DirEntry> entries) implements FsReply {
    }

    /**
     * {@code node} is 0 (and attributes null) where the kernel is not handed a node: "." and "..", or
     * plain READDIR. READDIRPLUS entries say what the kernel may keep, as an {@link Entry} does.
     */
    record DirEntry(byte[] name, long ino, long node, int typeBits, long offset, Attributes attributes, boolean cacheAttributes,
                    EntryCaching entryCaching) {
        public DirEntry(byte[] name, long ino, long node, int typeBits, long offset, Attributes attributes) {
            this(name, ino, node, typeBits, offset, attributes, (typeBits & 0170000) != 0040000,
                    (typeBits & 0170000) == 0040000 ? EntryCaching.BRIEF : EntryCaching.NONE);
        }
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
