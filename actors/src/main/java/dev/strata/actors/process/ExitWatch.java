package dev.strata.actors.process;

/**
 * Tells when a process exits, by an event from the kernel rather than by polling: a pidfd per
 * process on Linux, kqueue's EVFILT_PROC/NOTE_EXIT on macOS.
 */
public interface ExitWatch {
    /**
     * Calls {@code exited} once, from the watcher's thread, when {@code process} has exited; at once
     * when it is gone already (or its pid now names another process).
     */
    void watch(ProcessIdentity process, Runnable exited);
}
