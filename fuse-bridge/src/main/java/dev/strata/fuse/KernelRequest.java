package dev.strata.fuse;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Errno;

/**
 * A kernel request as a platform codec decodes it: the id its answer must carry, its operation, and
 * the work it asks for, in platform-neutral terms. File system requests go to the owning Mount;
 * requests on open files are served by the session itself.
 */
public record KernelRequest(long unique, Operation operation, Work work) {

    public sealed interface Work {
    }

    /** For the Mount of the caller's view; {@code replySize} is the kernel's buffer for sized answers (xattrs, listings). */
    public record Routed(FsRequest request, int replySize) implements Work {
    }

    public record Read(long fh, long offset, int size) implements Work {
    }

    /** The data is the request buffer's {@code size} bytes from position {@code dataAt}. */
    public record Write(long fh, long offset, int size, int dataAt) implements Work {
    }

    public record Release(long fh) implements Work {
    }

    /** fsync(2) of a file: its data here, then the view's journal by its Mount. */
    public record Fsync(Caller caller, long node, long fh, boolean dataOnly) implements Work {
    }

    /** {@code mode} is the host's fallocate(2) mode (the host is the platform whose kernel sent it). */
    public record Fallocate(long fh, long offset, long length, int mode) implements Work {
    }

    /** lseek(2) to the next data ({@code toData}) or the next hole; the kernel answers the other whences. */
    public record Seek(long fh, long offset, boolean toData) implements Work {
    }

    public record CopyRange(long fhIn, long offsetIn, long fhOut, long offsetOut, long length) implements Work {
    }

    /** The kernel dropped {@code counts[i]} references to {@code nodes[i]}; no answer. */
    public record Forget(long[] nodes, long[] counts) implements Work {
    }

    public record Interrupt(long target) implements Work {
    }

    /** Answered with success and nothing more (RELEASEDIR, DESTROY). */
    public record Acknowledge() implements Work {
    }

    /** Answered with this error at once: FLUSH (so the kernel stops sending it), operations not served. */
    public record Refuse(Errno errno) implements Work {
    }
}
