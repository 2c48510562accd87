package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.actors.process.LinuxProcessTable;
import dev.strata.actors.process.ProcessIdentity;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinuxProcessTableTest {
    @Test
    void ancestryOfThisThreadStartsWithThisProcessAndEndsAtInit() {
        LinuxProcessTable table = new LinuxProcessTable();
        int self = (int) ProcessHandle.current().pid();
        List<ProcessIdentity> chain = table.ancestry(self);
        assertEquals(self, chain.get(0).pid());
        assertEquals(1, chain.get(chain.size() - 1).pid());
        assertTrue(table.isAlive(chain.get(0)));
        assertTrue(!table.isAlive(new ProcessIdentity(self, chain.get(0).startTime() + 1)), "same pid, other start time");
    }
}
