package dev.strata.actors.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux: each watched process gets a pidfd (pidfd_open, kernel 5.3+), which becomes readable when the
 * process exits; one thread poll(2)s them all, with a pipe to wake it when a process is added.
 */
public final class PidfdExitWatch implements ExitWatch {
    private static final Logger log = LoggerFactory.getLogger(PidfdExitWatch.class);
    /** pidfd_open has number 434 in every Linux syscall table (it came after the tables were unified). */
    private static final long SYS_PIDFD_OPEN = 434;
    private static final short POLLIN = 1;
    private static final int O_CLOEXEC = 02000000;
    private static final int POLLFD_SIZE = 8;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        int syscall(long number, int pid, int flags);

        int poll(@In @Out ByteBuffer fds, long count, int timeoutMillis);

        int pipe2(@Out int[] fds, int flags);

        long write(int fd, @In byte[] bytes, long count);

        long read(int fd, @Out byte[] bytes, long count);

        int close(int fd);
    }

    private record Watched(ProcessIdentity process, Runnable exited) {
    }

    private final LibC libc = LibraryLoader.create(LibC.class).load("c");
    private final ProcessTable processes;
    private final Map<Integer, Watched> byFd = new ConcurrentHashMap<>();
    private final int[] wake = new int[2];
    private Thread thread;

    public PidfdExitWatch(ProcessTable processes) {
        this.processes = processes;
    }

    @Override
    public void watch(ProcessIdentity process, Runnable exited) {
        int fd = libc.syscall(SYS_PIDFD_OPEN, process.pid(), 0);
        if (fd < 0) {
            exited.run(); // no such process
            return;
        }
        // the pid may have been reused between the caller's look and pidfd_open: the fd then names another process
        if (!processes.isAlive(process)) {
            libc.close(fd);
            exited.run();
            return;
        }
        byFd.put(fd, new Watched(process, exited));
        start();
        libc.write(wake[1], new byte[] {1}, 1);
    }

    private synchronized void start() {
        if (thread != null) {
            return;
        }
        if (libc.pipe2(wake, O_CLOEXEC) != 0) {
            throw new IllegalStateException("pipe2 failed: cannot watch process exits");
        }
        thread = new Thread(this::loop, "strata-exit-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        byte[] drain = new byte[64];
        while (true) {
            List<Integer> fds = new ArrayList<>(byFd.keySet());
            ByteBuffer pollfds = ByteBuffer.allocateDirect(POLLFD_SIZE * (fds.size() + 1)).order(ByteOrder.nativeOrder());
            pollfds.putInt(0, wake[0]).putShort(4, POLLIN);
            for (int i = 0; i < fds.size(); i++) {
                pollfds.putInt(POLLFD_SIZE * (i + 1), fds.get(i)).putShort(POLLFD_SIZE * (i + 1) + 4, POLLIN);
            }
            if (libc.poll(pollfds, fds.size() + 1L, -1) < 0) {
                continue; // EINTR
            }
            if (pollfds.getShort(6) != 0) {
                libc.read(wake[0], drain, drain.length);
            }
            for (int i = 0; i < fds.size(); i++) {
                if (pollfds.getShort(POLLFD_SIZE * (i + 1) + 6) != 0) {
                    int fd = fds.get(i);
                    Watched w = byFd.remove(fd);
                    libc.close(fd);
                    if (w != null) {
                        try {
                            w.exited().run();
                        } catch (RuntimeException e) {
                            log.warn("handling the exit of process {} failed: {}", w.process().pid(), e.toString());
                        }
                    }
                }
            }
        }
    }
}
