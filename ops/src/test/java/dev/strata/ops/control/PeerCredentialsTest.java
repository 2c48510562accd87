package dev.strata.ops.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PeerCredentialsTest {
    @Test
    void linuxUcredAndPeerGroupsDecode() {
        ByteBuffer ucred = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putInt(4242).putInt(1000).putInt(100);
        ByteBuffer groups = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(27).putInt(1001);
        groups.flip();
        PeerCredentials c = PeerCredentials.fromUcred(ucred, groups);
        assertEquals(4242, c.pid());
        assertEquals(1000, c.uid());
        assertEquals(100, c.gid());
        assertArrayEquals(new int[] {27, 1001}, c.groups());
    }

    @Test
    void macXucredPutsTheEffectiveGidFirst() {
        // struct xucred: cr_version, cr_uid, cr_ngroups (short, padded), cr_groups[16]
        ByteBuffer x = ByteBuffer.allocate(PeerCredentials.XUCRED_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        x.putInt(0, 0).putInt(4, 501).putShort(8, (short) 3).putInt(12, 20).putInt(16, 12).putInt(20, 80);
        PeerCredentials c = PeerCredentials.fromXucred(x, 777);
        assertEquals(501, c.uid());
        assertEquals(20, c.gid());
        assertArrayEquals(new int[] {12, 80}, c.groups());
        assertEquals(777, c.pid());
    }

    @Test
    void aConnectionReportsThisProcessAsItsPeer() throws Exception {
        Path dir = Files.createTempDirectory("peer-test");
        Path path = dir.resolve("s.sock");
        try (UnixSocket listener = UnixSocket.listen(path, 1); UnixSocket client = UnixSocket.connect(path);
             UnixSocket server = listener.accept()) {
            PeerCredentials peer = server.peer();
            assertEquals(ProcessHandle.current().pid(), peer.pid());
            assertEquals((int) Files.getAttribute(Path.of("/proc/self"), "unix:uid"), peer.uid());
            client.output().write("ping".getBytes());
            byte[] got = new byte[4];
            assertEquals(4, server.input().read(got, 0, 4));
            assertEquals("ping", new String(got));
        } finally {
            Files.deleteIfExists(path);
            Files.delete(dir);
        }
    }
}
