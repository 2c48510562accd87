package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.strata.actors.fs.Caller;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.Errno;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A request sent to a Mount that has stopped is answered EIO at once, not after the bridge's 30 s sweep. */
class LostRequestsTest {
    static final ActorTestKit testKit = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    @Test
    void aRequestToAStoppedMountIsAnswered() throws Exception {
        testKit.spawn(LostRequests.create());
        ActorRef<Mount.Command> gone = testKit.spawn(Behaviors.<Mount.Command>stopped());
        testKit.createTestProbe().awaitAssert(() -> {
            CompletableFuture<FsReply> answer = new CompletableFuture<>();
            gone.tell(new Mount.Handle(new FsRequest.GetAttr(new Caller(1, 0, 0), 1), answer::complete));
            FsReply reply = answer.get(1, TimeUnit.SECONDS);
            assertEquals(Errno.EIO, assertInstanceOf(FsReply.Error.class, reply).errno());
            return null;
        });
    }
}
