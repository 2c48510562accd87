package dev.strata.actors;

import java.util.Arrays;

/**
 * Who asks: the uid, gid and supplementary groups the kernel attested for a control connection
 * (SO_PEERCRED and SO_PEERGROUPS on Linux, LOCAL_PEERCRED on macOS), never what a request says.
 * Plain data, so a command carrying it can cross a cluster.
 */
public record Caller(int uid, int gid, int[] groups, int pid) implements dev.strata.engine.Permissions.Credentials {
    public static final int ROOT = 0;

    public Caller {
        groups = groups.clone();
    }

    /** The daemon acting for itself (start-up, re-adoption). */
    public static Caller daemon() {
        return new Caller(ROOT, ROOT, new int[0], (int) ProcessHandle.current().pid());
    }

    /** The user this daemon runs as: root, or the one user an unprivileged daemon serves (its mount is that user's alone). */
    public static final int DAEMON_USER = (int) new com.sun.security.auth.module.UnixSystem().getUid();

    public boolean isRoot() {
        return uid == ROOT;
    }

    /** Root, or the user the daemon runs as: who may stop it and read its meters. */
    public boolean isDaemonAdmin() {
        return uid == ROOT || uid == DAEMON_USER;
    }

    public boolean inGroup(int group) {
        return gid == group || Arrays.stream(groups).anyMatch(g -> g == group);
    }

    @Override
    public boolean inSupplementaryGroup(int group) {
        return Arrays.stream(groups).anyMatch(g -> g == group);
    }

    @Override
    public int[] groups() {
        return groups.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Caller c && c.uid == uid && c.gid == gid && c.pid == pid && Arrays.equals(c.groups, groups);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * uid + gid) + pid;
    }

    @Override
    public String toString() {
        return "uid " + uid + " (pid " + pid + ")";
    }
}
