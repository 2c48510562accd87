package dev.strata.ops.cli;

import jnr.ffi.LibraryLoader;

/**
 * Makes this process a child subreaper (Linux prctl): orphans in its tree are reparented to it,
 * not to init, so a daemon started inside {@code strata run} stays in the runtime's tree.
 */
final class Subreaper {
    private static final int PR_SET_CHILD_SUBREAPER = 36;

    /** libc's prctl, as jnr-ffi binds it. */
    public interface LibC {
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);
    }

    private Subreaper() {
    }

    static boolean become() {
        if (!System.getProperty("os.name").toLowerCase().contains("linux")) {
            return false;
        }
        return LibraryLoader.create(LibC.class).load("c").prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
    }
}
