package dev.strata.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** macOS's struct stat read from a fixture laid out as sys/stat.h defines it (64-bit inodes). */
class DarwinHostFsTest {
    @Test
    void statLayout() {
        ByteBuffer b = ByteBuffer.allocate(DarwinHostFs.STAT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 16777220);                 // st_dev
        b.putShort(4, (short) 0100644);        // st_mode
        b.putShort(6, (short) 1);              // st_nlink
        b.putLong(8, 123456);                  // st_ino
        b.putInt(16, 501).putInt(20, 20);      // st_uid, st_gid
        b.putLong(32, 1_700_000_000L).putLong(40, 111);   // st_atimespec
        b.putLong(48, 1_700_000_001L).putLong(56, 222);   // st_mtimespec
        b.putLong(64, 1_700_000_002L).putLong(72, 333);   // st_ctimespec
        b.putLong(80, 1_600_000_000L).putLong(88, 444);   // st_birthtimespec
        b.putLong(96, 98765);                  // st_size
        b.putLong(104, 200);                   // st_blocks
        b.putInt(112, 4096);                   // st_blksize
        NativeFs.Stat s = DarwinHostFs.parseStat(b.array());
        assertEquals(new NativeFs.Stat(98765, 200, 1_700_000_000_000_000_111L, 1_700_000_001_000_000_222L, 1_700_000_002_000_000_333L), s);
    }
}
