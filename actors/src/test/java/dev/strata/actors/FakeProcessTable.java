package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import dev.strata.actors.process.ProcessTable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A process table a test can edit: start, end and reuse pids at will. */
final class FakeProcessTable implements ProcessTable {
    private final Map<Integer, ProcessInfo> processes = new ConcurrentHashMap<>();
    /** Reads of a process's identity, as /proc reads would be. */
    final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();

    FakeProcessTable() {
        start(1, 0, 0); // init
    }

    FakeProcessTable start(int pid, long startTime, int parent) {
        processes.put(pid, new ProcessInfo(new ProcessIdentity(pid, startTime), parent));
        return this;
    }

    FakeProcessTable end(int pid) {
        processes.remove(pid);
        return this;
    }

    @Override
    public Optional<Integer> processOf(int tid) {
        return processes.containsKey(tid) ? Optional.of(tid) : Optional.empty();
    }

    @Override
    public int[] groups(int tid) {
        return new int[0];
    }

    /** Every fake process runs as root. */
    @Override
    public Optional<Uids> uids(int pid) {
        return info(pid).map(i -> new Uids(0, 0));
    }

    @Override
    public Optional<ProcessInfo> info(int pid) {
        reads.incrementAndGet();
        return Optional.ofNullable(processes.get(pid));
    }
}
