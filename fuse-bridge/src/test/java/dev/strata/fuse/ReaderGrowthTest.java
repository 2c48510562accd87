package dev.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Attributes;
import dev.strata.engine.Errno;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real mount with one reader: an answer that holds its reader thread (as a Mount answering inline,
 * or an fsync waiting for the disk, does) must not hold up the requests behind it; a reader is added
 * beside it, and ends once the held one is free. The stats run in child processes: this JVM serves
 * the mount and must not walk it itself.
 */
class ReaderGrowthTest {
    @Test
    void aHeldReaderDoesNotHoldUpTheNextRequest(@TempDir Path work) throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/fuse")) && "root".equals(System.getProperty("user.name")), "needs root and /dev/fuse");
        CountDownLatch slowArrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RequestRouter router = new RequestRouter() {
            @Override
            public void dispatch(FsRequest request, Consumer<FsReply> reply) {
                if (request instanceof FsRequest.GetAttr) {
                    reply.accept(new FsReply.Attr(new Attributes(1, 040755, 2, 0, 0, 0, 0, 0, 0, 0, 0), false));
                    return;
                }
                if (request instanceof FsRequest.Lookup l && new String(l.name(), StandardCharsets.UTF_8).equals("slow")) {
                    slowArrived.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS); // on the reader thread that read it
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                reply.accept(new FsReply.Error(Errno.ENOENT, "nothing here"));
            }

            @Override
            public void forget(long node, long count) {
            }
        };
        Path mnt = work.resolve("mnt");
        FuseSession session = FuseSession.mount(new FuseSession.Options(mnt, 1, false), router);
        Process slow = null;
        try {
            assertEquals(1, session.readers());
            slow = new ProcessBuilder("stat", mnt.resolve("slow").toString()).redirectErrorStream(true).start();
            assertTrue(slowArrived.await(30, TimeUnit.SECONDS), "the slow lookup reached the reader");

            Process fast = new ProcessBuilder("stat", mnt.resolve("fast").toString()).redirectErrorStream(true).start();
            boolean answered = fast.waitFor(20, TimeUnit.SECONDS);
            if (!answered) {
                fast.destroyForcibly();
            }
            assertTrue(answered, "the second lookup was answered while the first held the only reader");
            assertEquals(1, fast.exitValue(), "stat says the name is not there");
            assertTrue(session.readers() >= 2, "a reader was added while the first was held: " + session.readers());
        } finally {
            release.countDown();
            if (slow != null && !slow.waitFor(20, TimeUnit.SECONDS)) {
                slow.destroyForcibly();
            }
            for (int i = 0; i < 100 && session.readers() > 1; i++) {
                Thread.sleep(50);
            }
            int left = session.readers();
            session.close();
            assertEquals(1, left, "the added reader ends when it is no longer needed");
        }
    }
}
