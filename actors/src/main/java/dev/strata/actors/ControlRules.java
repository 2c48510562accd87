package dev.strata.actors;

import dev.strata.actors.process.ProcessTable;
import dev.strata.persistence.TagStore;
import java.util.Optional;

/**
 * Who may do what on the control plane, as pure functions of the caller and what it names; each
 * refusal names its rule. The lifecycle owner ({@link Runtimes}) applies them; the README's table
 * lists them.
 */
public final class ControlRules {
    /** Runtime, snapshot and branch names are safe in paths and logs. */
    public static final String NAME_RULE = "use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'";
    /** Longest env spec a request may carry. */
    public static final int MAX_SPEC_BYTES = 4096;
    /** Longest commit message. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024;
    /** How much of a rejected input an error quotes. */
    private static final int QUOTED = 64;

    private ControlRules() {
    }

    public static boolean isValidName(String name) {
        return name.length() <= 64 && !name.contains("/") && TagStore.isValidName(name);
    }

    /** {@code name}, checked; INVALID naming the rule otherwise. */
    public static String checkName(String what, String name) {
        if (!isValidName(name)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "invalid " + what + " name '" + quote(name) + "': " + NAME_RULE);
        }
        return name;
    }

    /** At most a short, printable prefix of what a client sent. */
    public static String quote(String input) {
        String s = input.length() > QUOTED ? input.substring(0, QUOTED) + "..." : input;
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /** Owners act on what they own; root acts on everything. */
    public static boolean mayActOn(Caller caller, int owner) {
        return caller.isRoot() || caller.uid() == owner;
    }

    public static RuntimeRefused notOwner(String what, String name, int owner) {
        return new RuntimeRefused(RuntimeRefused.Reason.DENIED, what + " '" + name + "' belongs to uid " + owner
                + ": only its owner or root may act on it");
    }

    /** The fleet is driven by root and by the members of the configured admin group (gid 0 names no extra group). */
    public static void checkFleetAdmin(Caller caller, int adminGroup) {
        if (!caller.isRoot() && !(adminGroup != 0 && caller.inGroup(adminGroup))) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "only root" + (adminGroup != 0 ? " and members of group " + adminGroup : "")
                    + " may drive the fleet");
        }
    }

    /**
     * The daemon's metrics count every user's requests and runtimes: root reads them, and stops the
     * daemon; so does the user an unprivileged daemon runs as (it serves nobody else).
     */
    public static void checkMetrics(Caller caller) {
        if (!caller.isDaemonAdmin()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, admins() + " may read the daemon's metrics");
        }
    }

    public static void checkShutdown(Caller caller) {
        if (!caller.isDaemonAdmin()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, admins() + " may stop the daemon");
        }
    }

    private static String admins() {
        return Caller.DAEMON_USER == Caller.ROOT ? "only root" : "only root and uid " + Caller.DAEMON_USER + " (whom the daemon runs as)";
    }

    /**
     * A process tree may be given a view only by a caller whose uid is the real and effective uid of
     * its root process (or by root), and never pid 1, a kernel thread or the daemon itself.
     */
    public static void checkMayGiveView(Caller caller, int pid, Optional<ProcessTable.ProcessInfo> info,
                                        Optional<ProcessTable.Uids> uids, long daemonPid) {
        if (pid <= 0) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "root_pid must be a positive process id, not " + pid);
        }
        if (info.isEmpty() || uids.isEmpty()) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "no process with pid " + pid);
        }
        if (pid == 1 || pid == daemonPid) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "process " + pid + " is " + (pid == 1 ? "init" : "the daemon")
                    + ": a view can be given only to an ordinary process tree");
        }
        if (info.get().parentPid() == 2 || pid == 2) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "process " + pid + " is a kernel thread: it has no view");
        }
        ProcessTable.Uids u = uids.get();
        if (!caller.isRoot() && (u.real() != caller.uid() || u.effective() != caller.uid())) {
            throw new RuntimeRefused(RuntimeRefused.Reason.DENIED, "process " + pid + " runs as uid " + u.real() + "/" + u.effective()
                    + ": only a process whose real and effective uid are the caller's (" + caller.uid() + ") can be given a view");
        }
    }

    /** Size caps on what a start request carries. */
    public static void checkSpec(String spec) {
        if (spec.length() > MAX_SPEC_BYTES) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "the env spec is longer than " + MAX_SPEC_BYTES + " bytes: '"
                    + quote(spec) + "'");
        }
    }

    public static void checkMessage(String message) {
        if (message.length() > MAX_MESSAGE_BYTES) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "the message is longer than " + MAX_MESSAGE_BYTES + " bytes");
        }
    }

    public static void checkTag(String tag) {
        if (!tag.isEmpty() && !TagStore.isValidName(tag)) {
            throw new RuntimeRefused(RuntimeRefused.Reason.INVALID, "invalid tag name '" + quote(tag)
                    + "': use letters, digits, '.', '_', '-', and '/' between segments");
        }
    }
}
