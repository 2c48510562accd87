package dev.strata.actors.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;

/**
 * Processes from libproc's {@code proc_pidinfo(PROC_PIDTBSDINFO)} on macOS, where FUSE (macFUSE)
 * reports processes, not threads. Designed for and kept compiling; it cannot run on Linux.
 */
public final class MacProcessTable implements ProcessTable {
    static final int PROC_PIDTBSDINFO = 3;
    /** sizeof(struct proc_bsdinfo). */
    static final int BSDINFO_SIZE = 136;
    private static final int PID_OFFSET = 12;
    private static final int PPID_OFFSET = 16;
    private static final int UID_OFFSET = 20;
    private static final int RUID_OFFSET = 28;
    private static final int START_SEC_OFFSET = 120;
    private static final int START_USEC_OFFSET = 128;

    /** libproc, as jnr-ffi binds it. */
    public interface LibProc {
        int proc_pidinfo(int pid, int flavor, long arg, @Out byte[] buffer, int size);
    }

    private LibProc libproc;
    private ExitWatch exits;

    private synchronized LibProc libproc() {
        if (libproc == null) {
            libproc = LibraryLoader.create(LibProc.class).load("proc");
        }
        return libproc;
    }

    @Override
    public synchronized ExitWatch exitWatch() {
        if (exits == null) {
            exits = new KqueueExitWatch(this);
        }
        return exits;
    }

    @Override
    public Optional<Integer> processOf(int tid) {
        return Optional.of(tid);
    }

    /** macFUSE checks permissions in the kernel; supplementary groups are not needed there. */
    @Override
    public int[] groups(int tid) {
        return new int[0];
    }

    @Override
    public Optional<ProcessInfo> info(int pid) {
        byte[] buffer = new byte[BSDINFO_SIZE];
        int n = libproc().proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, buffer, buffer.length);
        return n == BSDINFO_SIZE ? Optional.of(parseBsdInfo(buffer)) : Optional.empty();
    }

    @Override
    public Optional<Uids> uids(int pid) {
        byte[] buffer = new byte[BSDINFO_SIZE];
        int n = libproc().proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, buffer, buffer.length);
        return n == BSDINFO_SIZE ? Optional.of(parseUids(buffer)) : Optional.empty();
    }

    /** pbi_ruid and pbi_uid (effective) of {@code struct proc_bsdinfo}. */
    static Uids parseUids(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return new Uids(b.getInt(RUID_OFFSET), b.getInt(UID_OFFSET));
    }

    /** Decodes the fields of {@code struct proc_bsdinfo} that ancestry needs (little-endian). */
    static ProcessInfo parseBsdInfo(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int pid = b.getInt(PID_OFFSET);
        int ppid = b.getInt(PPID_OFFSET);
        long start = b.getLong(START_SEC_OFFSET) * 1_000_000L + b.getLong(START_USEC_OFFSET);
        return new ProcessInfo(new ProcessIdentity(pid, start), ppid);
    }
}
