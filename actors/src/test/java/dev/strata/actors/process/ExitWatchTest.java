package dev.strata.actors.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ExitWatchTest {
    private final LinuxProcessTable table = new LinuxProcessTable();

    @Test
    void aPidfdTellsWhenAProcessExitsAndNotBefore() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        ProcessIdentity identity = table.info((int) sleeper.pid()).orElseThrow().identity();
        CountDownLatch exited = new CountDownLatch(1);
        table.exitWatch().watch(identity, exited::countDown);
        assertFalse(exited.await(300, TimeUnit.MILLISECONDS), "reported before the process exited");
        sleeper.destroy();
        assertTrue(exited.await(5, TimeUnit.SECONDS), "the exit was not reported");
    }

    @Test
    void aProcessThatIsGoneOrWhosePidWasReusedIsReportedAtOnce() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        ProcessIdentity identity = table.info((int) sleeper.pid()).orElseThrow().identity();
        CountDownLatch reused = new CountDownLatch(1);
        // the same pid with another start time is another process
        table.exitWatch().watch(new ProcessIdentity(identity.pid(), identity.startTime() - 1), reused::countDown);
        assertTrue(reused.await(1, TimeUnit.SECONDS));
        sleeper.destroyForcibly().waitFor();
        CountDownLatch gone = new CountDownLatch(1);
        table.exitWatch().watch(identity, gone::countDown);
        assertTrue(gone.await(5, TimeUnit.SECONDS));
    }

    @Test
    void theKqueueExitFilterIsEncodedAsStructKevent() {
        ByteBuffer b = ByteBuffer.allocate(KqueueExitWatch.KEVENT_SIZE * 2).order(ByteOrder.LITTLE_ENDIAN);
        KqueueExitWatch.encode(b, KqueueExitWatch.KEVENT_SIZE, 4321);
        assertEquals(4321L, b.getLong(32));
        assertEquals(-5, b.getShort(40)); // EVFILT_PROC
        assertEquals(0x11, b.getShort(42)); // EV_ADD | EV_ONESHOT
        assertEquals(0x80000000, b.getInt(44)); // NOTE_EXIT
        assertEquals(4321, KqueueExitWatch.exitedPid(b, KqueueExitWatch.KEVENT_SIZE));
        assertEquals(-1, KqueueExitWatch.exitedPid(b, 0));
    }
}
