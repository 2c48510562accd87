package dev.strata.actors.process;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the operating system says about processes: the platform-specific half of ancestry. */
public interface ProcessTable {
    /** A process's identity and parent pid. */
    record ProcessInfo(ProcessIdentity identity, int parentPid) {
    }

    /** The process (thread group) a thread belongs to; empty when the thread is gone. */
    Optional<Integer> processOf(int tid);

    /** Identity and parent of a process; empty when it does not exist. */
    Optional<ProcessInfo> info(int pid);

    /** The process of {@code tid} and its ancestors, nearest first, up to (not including) pid 0. */
    default List<ProcessIdentity> ancestry(int tid) {
        return ancestry(tid, p -> false);
    }

    /**
     * The same, ending early with the first process {@code enough} accepts (the nearest one whose
     * route is known already): each ancestor costs a read of the process table.
     */
    default List<ProcessIdentity> ancestry(int tid, java.util.function.Predicate<ProcessIdentity> enough) {
        List<ProcessIdentity> chain = new ArrayList<>();
        Optional<Integer> pid = processOf(tid);
        int next = pid.orElse(0);
        while (next > 0 && chain.size() < 4096) {
            Optional<ProcessInfo> info = info(next);
            if (info.isEmpty()) {
                break;
            }
            chain.add(info.get().identity());
            if (enough.test(info.get().identity())) {
                break;
            }
            next = info.get().parentPid();
        }
        return chain;
    }

    /** The supplementary groups of a thread (empty when unknown). */
    int[] groups(int tid);

    /** The real and effective uid of a process. */
    record Uids(int real, int effective) {
    }

    /** Who a process runs as; empty when it does not exist. */
    Optional<Uids> uids(int pid);

    default boolean isAlive(ProcessIdentity identity) {
        return info(identity.pid()).map(i -> i.identity().equals(identity)).orElse(false);
    }

    /** Exit events for processes of this table; null where there are none (then exits are polled). */
    default ExitWatch exitWatch() {
        return null;
    }

    /** The table of the platform this JVM runs on. */
    static ProcessTable forThisPlatform() {
        String os = System.getProperty("os.name").toLowerCase();
        return os.contains("mac") ? new MacProcessTable() : new LinuxProcessTable();
    }
}
