package dev.strata.actors.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Processes from /proc: {@code status} maps a thread to its process, {@code stat} gives parent and start time. */
public final class LinuxProcessTable implements ProcessTable {
    private final Path proc;
    private ExitWatch exits;

    public LinuxProcessTable() {
        this(Path.of("/proc"));
    }

    LinuxProcessTable(Path proc) {
        this.proc = proc;
    }

    @Override
    public synchronized ExitWatch exitWatch() {
        if (exits == null) {
            exits = new PidfdExitWatch(this);
        }
        return exits;
    }

    @Override
    public Optional<Integer> processOf(int tid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Integer.toString(tid)).resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Tgid:")) {
                    return Optional.of(Integer.parseInt(line.substring(5).trim()));
                }
            }
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public int[] groups(int tid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Integer.toString(tid)).resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Groups:")) {
                    String list = line.substring(7).trim();
                    return list.isEmpty() ? new int[0] : java.util.Arrays.stream(list.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                }
            }
        } catch (IOException | NumberFormatException e) {
            // a thread that is gone has no groups
        }
        return new int[0];
    }

    @Override
    public Optional<Uids> uids(int pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Integer.toString(pid)).resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return Optional.of(new Uids(Integer.parseInt(ids[0]), Integer.parseInt(ids[1])));
                }
            }
        } catch (IOException | RuntimeException e) {
            // a process that is gone has no uids
        }
        return Optional.empty();
    }

    @Override
    public Optional<ProcessInfo> info(int pid) {
        try {
            return Optional.of(parseStat(pid, Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat"), StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses {@code /proc/PID/stat}. The command name (field 2) may hold spaces and parentheses,
     * so fields are counted from the last ')': ppid is field 4, start time field 22.
     */
    static ProcessInfo parseStat(int pid, String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        int parent = Integer.parseInt(fields[1]);
        long start = Long.parseLong(fields[19]);
        return new ProcessInfo(new ProcessIdentity(pid, start), parent);
    }
}
