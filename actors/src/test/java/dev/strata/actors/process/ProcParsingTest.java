package dev.strata.actors.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ProcParsingTest {
    @Test
    void linuxStatIsParsedAfterTheLastParenthesis() {
        String stat = "4242 (evil) name) (x) S 77 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
        ProcessTable.ProcessInfo info = LinuxProcessTable.parseStat(4242, stat);
        assertEquals(77, info.parentPid());
        assertEquals(987654, info.identity().startTime());
    }

    @Test
    void macBsdInfoIsDecodedAtItsOffsets() {
        ByteBuffer b = ByteBuffer.allocate(MacProcessTable.BSDINFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(12, 501).putInt(16, 1).putLong(120, 1_700_000_000L).putLong(128, 250_000L);
        ProcessTable.ProcessInfo info = MacProcessTable.parseBsdInfo(b.array());
        assertEquals(new ProcessIdentity(501, 1_700_000_000_250_000L), info.identity());
        assertEquals(1, info.parentPid());
    }
}
