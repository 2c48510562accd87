package dev.strata.ops.control;

import dev.strata.actors.Caller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The identity the kernel attests for the process at the other end of a Unix socket, as it was when
 * that process connected: Linux {@code SO_PEERCRED} (pid, uid, gid) and {@code SO_PEERGROUPS}
 * (supplementary groups); macOS {@code LOCAL_PEERCRED} (a {@code struct xucred}) and
 * {@code LOCAL_PEERPID}. The layouts are decoded here, in one place, and unit-tested.
 */
public record PeerCredentials(int pid, int uid, int gid, int[] groups) {
    private static final int LINUX_SOL_SOCKET = 1;
    private static final int LINUX_SO_PEERCRED = 17;
    private static final int LINUX_SO_PEERGROUPS = 59;
    private static final int MAC_SOL_LOCAL = 0;
    private static final int MAC_LOCAL_PEERCRED = 1;
    private static final int MAC_LOCAL_PEERPID = 2;
    /** struct xucred: u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]. */
    static final int XUCRED_SIZE = 76;
    private static final int ERANGE = 34;

    public PeerCredentials {
        groups = groups.clone();
    }

    public Caller caller() {
        return new Caller(uid, gid, groups, pid);
    }

    static PeerCredentials of(UnixSocket socket) throws IOException {
        return UnixSocket.MAC ? mac(socket.fd()) : linux(socket.fd());
    }

    private static PeerCredentials linux(int fd) throws IOException {
        ByteBuffer ucred = option(fd, LINUX_SOL_SOCKET, LINUX_SO_PEERCRED, 12);
        int[] length = {256 * 4};
        ByteBuffer groups = ByteBuffer.allocateDirect(length[0]).order(ByteOrder.nativeOrder());
        if (UnixSocket.LIBC.getsockopt(fd, LINUX_SOL_SOCKET, LINUX_SO_PEERGROUPS, groups, length) != 0) {
            if (UnixSocket.errno() != ERANGE) {
                throw UnixSocket.failure("getsockopt(SO_PEERGROUPS)");
            }
            groups = option(fd, LINUX_SOL_SOCKET, LINUX_SO_PEERGROUPS, length[0]);
            length[0] = groups.remaining();
        }
        groups.limit(length[0]);
        return fromUcred(ucred, groups);
    }

    private static PeerCredentials mac(int fd) throws IOException {
        ByteBuffer xucred = option(fd, MAC_SOL_LOCAL, MAC_LOCAL_PEERCRED, XUCRED_SIZE);
        ByteBuffer pid = option(fd, MAC_SOL_LOCAL, MAC_LOCAL_PEERPID, 4);
        return fromXucred(xucred, pid.getInt(0));
    }

    private static ByteBuffer option(int fd, int level, int option, int size) throws IOException {
        ByteBuffer value = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        int[] length = {size};
        if (UnixSocket.LIBC.getsockopt(fd, level, option, value, length) != 0) {
            throw UnixSocket.failure("getsockopt(" + option + ")");
        }
        value.limit(length[0]);
        return value;
    }

    /** struct ucred {pid_t pid; uid_t uid; gid_t gid;} and the gid_t array of SO_PEERGROUPS. */
    static PeerCredentials fromUcred(ByteBuffer ucred, ByteBuffer groups) {
        int[] list = new int[groups.remaining() / 4];
        for (int i = 0; i < list.length; i++) {
            list[i] = groups.getInt(groups.position() + 4 * i);
        }
        return new PeerCredentials(ucred.getInt(0), ucred.getInt(4), ucred.getInt(8), list);
    }

    /** struct xucred: the first group is the effective gid, the rest are supplementary. */
    static PeerCredentials fromXucred(ByteBuffer xucred, int pid) {
        int uid = xucred.getInt(4);
        int count = Math.max(0, Math.min(16, xucred.getShort(8)));
        int gid = count > 0 ? xucred.getInt(12) : -1;
        int[] groups = new int[Math.max(0, count - 1)];
        for (int i = 1; i < count; i++) {
            groups[i - 1] = xucred.getInt(12 + 4 * i);
        }
        return new PeerCredentials(pid, uid, gid, groups);
    }
}
