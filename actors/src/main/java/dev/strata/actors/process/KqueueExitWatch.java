package dev.strata.actors.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * macOS: one kqueue with an EVFILT_PROC/NOTE_EXIT filter per watched process, read by one thread.
 * Designed for and kept compiling; the {@code struct kevent} layout is unit-tested.
 */
public final class KqueueExitWatch implements ExitWatch {
    static final int KEVENT_SIZE = 32;
    static final short EVFILT_PROC = -5;
    static final short EV_ADD = 0x0001;
    static final short EV_ONESHOT = 0x0010;
    static final int NOTE_EXIT = 0x80000000;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        int kqueue();

        int kevent(int kq, @In ByteBuffer changes, int changeCount, @Out ByteBuffer events, int eventCount, Pointer timeout);
    }

    private final ProcessTable processes;
    private final Map<Integer, Runnable> byPid = new ConcurrentHashMap<>();
    private LibC libc;
    private int kq = -1;

    public KqueueExitWatch(ProcessTable processes) {
        this.processes = processes;
    }

    @Override
    public void watch(ProcessIdentity process, Runnable exited) {
        start();
        byPid.put(process.pid(), exited);
        ByteBuffer change = ByteBuffer.allocateDirect(KEVENT_SIZE).order(ByteOrder.nativeOrder());
        encode(change, 0, process.pid());
        if (libc.kevent(kq, change, 1, null, 0, null) < 0 || !processes.isAlive(process)) {
            if (byPid.remove(process.pid()) != null) {
                exited.run();
            }
        }
    }

    /** struct kevent {uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags; intptr_t data; void *udata}. */
    static void encode(ByteBuffer b, int at, int pid) {
        b.putLong(at, pid).putShort(at + 8, EVFILT_PROC).putShort(at + 10, (short) (EV_ADD | EV_ONESHOT)).putInt(at + 12, NOTE_EXIT)
                .putLong(at + 16, 0).putLong(at + 24, 0);
    }

    /** The pid an exit event names, or -1 for any other event. */
    static int exitedPid(ByteBuffer b, int at) {
        return b.getShort(at + 8) == EVFILT_PROC && (b.getInt(at + 12) & NOTE_EXIT) != 0 ? (int) b.getLong(at) : -1;
    }

    private synchronized void start() {
        if (libc != null) {
            return;
        }
        libc = LibraryLoader.create(LibC.class).load("c");
        kq = libc.kqueue();
        Thread thread = new Thread(this::loop, "strata-exit-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        ByteBuffer events = ByteBuffer.allocateDirect(KEVENT_SIZE * 16).order(ByteOrder.nativeOrder());
        while (true) {
            int n = libc.kevent(kq, null, 0, events, 16, null);
            for (int i = 0; i < n; i++) {
                int pid = exitedPid(events, i * KEVENT_SIZE);
                Runnable exited = pid < 0 ? null : byPid.remove(pid);
                if (exited != null) {
                    exited.run();
                }
            }
        }
    }
}
