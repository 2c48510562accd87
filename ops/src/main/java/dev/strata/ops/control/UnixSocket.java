package dev.strata.ops.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * A Unix domain stream socket through jnr-ffi: the JDK's own channels do not tell a server the
 * peer's uid and supplementary groups, which are the whole point of the control socket. Blocking
 * calls only: the listener and each connection have their own thread.
 */
public final class UnixSocket implements AutoCloseable {
    static final boolean MAC = System.getProperty("os.name").toLowerCase().contains("mac");
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = MAC ? 0 : 02000000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final int SUN_PATH_MAX = MAC ? 104 : 108;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        int socket(int domain, int type, int protocol);

        int bind(int fd, @In ByteBuffer address, int length);

        int listen(int fd, int backlog);

        int accept(int fd, Pointer address, Pointer length);

        int connect(int fd, @In ByteBuffer address, int length);

        int getsockopt(int fd, int level, int option, @Out ByteBuffer value, @In @Out int[] length);

        long read(int fd, @Out ByteBuffer buffer, long count);

        long write(int fd, @In ByteBuffer buffer, long count);

        int shutdown(int fd, int how);

        int close(int fd);

        int chmod(String path, int mode);

        String strerror(int errno);
    }

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private final int fd;
    // 2 while open; each of shutdown-then-close's two halves (reading, writing) gives one back
    private final AtomicInteger openHalves = new AtomicInteger(2);
    private volatile Runnable whenClosed = () -> { };

    private UnixSocket(int fd) {
        this.fd = fd;
    }

    int fd() {
        return fd;
    }

    /** A listening socket at {@code path}, connectable by every local user (0666). */
    public static UnixSocket listen(Path path, int backlog) throws IOException {
        int fd = newSocket();
        ByteBuffer address = address(path);
        if (LIBC.bind(fd, address, address.remaining()) != 0 || LIBC.listen(fd, backlog) != 0) {
            IOException e = failure("listen on " + path);
            LIBC.close(fd);
            throw e;
        }
        LIBC.chmod(path.toString(), 0666);
        return new UnixSocket(fd);
    }

    /** A connection to the socket at {@code path}. */
    public static UnixSocket connect(Path path) throws IOException {
        int fd = newSocket();
        ByteBuffer address = address(path);
        if (LIBC.connect(fd, address, address.remaining()) != 0) {
            IOException e = failure("connect to " + path);
            LIBC.close(fd);
            throw e;
        }
        return new UnixSocket(fd);
    }

    /** Waits for the next connection; fails once the listener is closed. */
    public UnixSocket accept() throws IOException {
        while (true) {
            int client = LIBC.accept(fd, null, null);
            if (client >= 0) {
                return new UnixSocket(client);
            }
            if (errno() != EINTR) {
                throw failure("accept");
            }
        }
    }

    /** Runs {@code action} once the socket is closed (both halves of a connection let go). */
    void whenClosed(Runnable action) {
        this.whenClosed = action;
    }

    /** What the kernel recorded of the process that connected (at connect time). */
    public PeerCredentials peer() throws IOException {
        return PeerCredentials.of(this);
    }

    public InputStream input() {
        return new InputStream() {
            private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
            private boolean closed;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                long n;
                do {
                    n = LIBC.read(fd, buffer, Math.min(len, buffer.capacity()));
                } while (n < 0 && errno() == EINTR);
                if (n < 0) {
                    throw failure("read");
                }
                if (n == 0) {
                    return -1;
                }
                buffer.clear();
                buffer.get(b, off, (int) n);
                buffer.clear();
                return (int) n;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    release();
                }
            }
        };
    }

    public OutputStream output() {
        return new OutputStream() {
            private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int chunk = Math.min(len, buffer.capacity());
                    buffer.clear();
                    buffer.put(b, off, chunk);
                    int done = 0;
                    while (done < chunk) {
                        buffer.position(done);
                        long n = LIBC.write(fd, buffer.slice(), chunk - done);
                        if (n < 0 && errno() == EINTR) {
                            continue;
                        }
                        if (n < 0) {
                            throw failure("write");
                        }
                        done += (int) n;
                    }
                    off += chunk;
                    len -= chunk;
                }
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    release();
                }
            }
        };
    }

    /** Wakes every thread blocked on this socket (accept, read) and closes it once both halves let go. */
    @Override
    public void close() {
        release();
        release();
    }

    /** One half lets go: the first wakes the other's blocked call, the last closes the descriptor (once, never a reused one). */
    private void release() {
        int left = openHalves.decrementAndGet();
        if (left < 0) {
            return;
        }
        LIBC.shutdown(fd, SHUT_RDWR);
        if (left == 0) {
            LIBC.close(fd);
            whenClosed.run();
        }
    }

    private static int newSocket() throws IOException {
        int fd = LIBC.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        return fd;
    }

    /** struct sockaddr_un: Linux starts with a 16-bit family, BSDs with a length byte and a family byte. */
    static ByteBuffer address(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new IOException("the socket path " + path + " is longer than the " + (SUN_PATH_MAX - 1) + " bytes a Unix socket allows");
        }
        ByteBuffer b = ByteBuffer.allocateDirect(2 + SUN_PATH_MAX).order(ByteOrder.nativeOrder());
        if (MAC) {
            b.put((byte) (2 + name.length + 1)).put((byte) AF_UNIX);
        } else {
            b.putShort((short) AF_UNIX);
        }
        b.put(name).put((byte) 0);
        b.flip();
        return b;
    }

    static int errno() {
        return RUNTIME.getLastError();
    }

    static IOException failure(String call) {
        int e = errno();
        return new IOException(call + ": " + LIBC.strerror(e) + " (errno " + e + ")");
    }
}
