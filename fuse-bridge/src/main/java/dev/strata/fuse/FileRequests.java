package dev.strata.fuse;

import dev.strata.engine.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Requests on open files, served on the reader thread from the session's {@link OpenFiles} without
 * a trip to any actor: reads and writes (when passthrough does not take them), data syncs,
 * fallocate, SEEK_DATA and SEEK_HOLE, copy_file_range, and release. A file still filling from a
 * lazy copy-up has the chunks a request touches copied first.
 */
final class FileRequests {
    private final OpenFiles files;
    private final Replies replies;

    FileRequests(OpenFiles files, Replies replies) {
        this.files = files;
        this.replies = replies;
    }

    /** The open file of a handle, or null after answering EBADF. */
    private OpenFiles.OpenFile handle(long unique, long fh) {
        OpenFiles.OpenFile file = files.get(fh);
        if (file == null) {
            replies.error(unique, Errno.EBADF);
        }
        return file;
    }

    /** The open file of a handle opened for writing, or null after answering EBADF. */
    private OpenFiles.OpenFile writableHandle(long unique, long fh) {
        OpenFiles.OpenFile file = files.get(fh);
        if (file == null || !file.writable) {
            replies.error(unique, Errno.EBADF);
            return null;
        }
        return file;
    }

    void read(long unique, long fh, long offset, int size) {
        OpenFiles.OpenFile file = handle(unique, fh);
        if (file == null) {
            return;
        }
        ByteBuffer out = replies.body();
        try {
            int want = Math.min(size, FuseKernel.MAX_WRITE);
            file.content.ensure(offset, want);
            int fileFd = file.fd();
            int done = 0;
            while (done < want) {
                ByteBuffer slice = out.position(KernelCodec.OUT_HEADER + done).slice();
                long n = FuseNative.LIBC.pread(fileFd, slice, want - done, offset + done);
                if (n < 0) {
                    replies.hostError(unique, FuseNative.errno());
                    return;
                }
                if (n == 0) {
                    break;
                }
                done += (int) n;
            }
            out.position(KernelCodec.OUT_HEADER + done);
        } catch (IOException e) {
            replies.error(unique, Errno.EIO);
            return;
        }
        Runnable accessed = file.accessed;
        if (accessed != null) {
            // before the answer, so the atime is moved when the reader's next stat asks (the kernel
            // marks a FUSE file's atime stale after a read)
            file.accessed = null;
            accessed.run();
        }
        replies.send(out, unique);
    }

    void write(long unique, KernelRequest.Write w, ByteBuffer in) {
        OpenFiles.OpenFile file = writableHandle(unique, w.fh());
        if (file == null) {
            return;
        }
        try {
            file.content.ensure(w.offset(), w.size());
            int fileFd = file.fd();
            int done = 0;
            while (done < w.size()) {
                ByteBuffer data = in.position(w.dataAt() + done).slice();
                long n = FuseNative.LIBC.pwrite(fileFd, data, w.size() - done, w.offset() + done);
                if (n < 0) {
                    replies.hostError(unique, FuseNative.errno());
                    return;
                }
                done += (int) n;
            }
            replies.written(unique, done);
        } catch (IOException e) {
            replies.error(unique, Errno.EIO);
        }
    }

    /**
     * Syncs a file's data (the view's journal, names and metadata, is its Mount's to sync next);
     * false after answering a failure.
     */
    boolean syncData(long unique, KernelRequest.Fsync f) {
        OpenFiles.OpenFile file = files.get(f.fh());
        if (file != null && file.writable) {
            try {
                file.content.ensureAll();
                int fileFd = file.fd();
                int r = f.dataOnly() ? FuseNative.LIBC.fdatasync(fileFd) : FuseNative.LIBC.fsync(fileFd);
                if (r != 0) {
                    replies.hostError(unique, FuseNative.errno());
                    return false;
                }
            } catch (IOException e) {
                replies.error(unique, Errno.EIO);
                return false;
            }
        }
        return true;
    }

    void fallocate(long unique, long fh, long offset, long length, int mode) {
        OpenFiles.OpenFile file = writableHandle(unique, fh);
        if (file == null) {
            return;
        }
        try {
            file.content.ensureAll();
            if (FuseNative.LIBC.fallocate(file.fd(), mode, offset, length) != 0) {
                replies.hostError(unique, FuseNative.errno());
                return;
            }
        } catch (IOException e) {
            replies.error(unique, Errno.EIO);
            return;
        }
        replies.empty(unique);
    }

    /** SEEK_DATA and SEEK_HOLE reach us (the kernel answers the other whences): ask the backing file. */
    void lseek(long unique, long fh, long offset, boolean toData) {
        OpenFiles.OpenFile file = handle(unique, fh);
        if (file == null) {
            return;
        }
        try {
            file.content.ensureAll();
            long at = FuseNative.LIBC.lseek(file.fd(), offset, toData ? FuseNative.SEEK_DATA : FuseNative.SEEK_HOLE);
            if (at < 0) {
                replies.hostError(unique, FuseNative.errno());
                return;
            }
            replies.offset(unique, at);
        } catch (IOException e) {
            replies.error(unique, Errno.EIO);
        }
    }

    void copyFileRange(long unique, KernelRequest.CopyRange c) {
        OpenFiles.OpenFile source = handle(unique, c.fhIn());
        if (source == null) {
            return;
        }
        OpenFiles.OpenFile target = writableHandle(unique, c.fhOut());
        if (target == null) {
            return;
        }
        try {
            source.content.ensure(c.offsetIn(), c.length());
            target.content.ensure(c.offsetOut(), c.length());
            long n = FuseNative.LIBC.copy_file_range(source.fd(), new long[] {c.offsetIn()}, target.fd(), new long[] {c.offsetOut()},
                    Math.min(c.length(), Integer.MAX_VALUE), 0);
            if (n < 0) {
                replies.hostError(unique, FuseNative.errno());
                return;
            }
            replies.written(unique, n);
        } catch (IOException e) {
            replies.error(unique, Errno.EIO);
        }
    }

    /** Returns the node of the released handle when its content changed while it was open (see OpenFiles), else 0. */
    long release(long unique, long fh) {
        OpenFiles.OpenFile file = files.release(fh);
        replies.empty(unique);
        return file != null && file.changedSinceOpen() ? file.node : 0;
    }

}
