package dev.strata.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Mounts' executor runs an idle actor on the thread that sent a kernel request, and nothing else there. */
class RequestThreadExecutorTest {
    static final ActorTestKit testKit = ActorTestKit.create();
    static final DispatcherSelector MOUNTS = DispatcherSelector.fromConfig("strata.mount-dispatcher");

    /** Where a message ran, and (when it carries one) what the actor passed on ran where. */
    record Ran(CompletableFuture<Thread> here, ActorRef<Ran> next, CompletableFuture<Thread> there) {
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    private static ActorRef<Ran> recorder() {
        return testKit.spawn(Behaviors.receiveMessage(r -> {
            r.here().complete(Thread.currentThread());
            if (r.next() != null) {
                r.next().tell(new Ran(r.there(), null, null));
            }
            return Behaviors.same();
        }), MOUNTS);
    }

    @Test
    void anIdleMountAnswersOnTheRequestThreadAndWhatItSendsOnRunsOnThePool() throws Exception {
        ActorRef<Ran> first = recorder();
        ActorRef<Ran> second = recorder();
        idle(first);
        idle(second);
        Ran ran = new Ran(new CompletableFuture<>(), second, new CompletableFuture<>());
        RequestThreadExecutor.onThisThread(() -> first.tell(ran));
        // the send returned only after the message ran, on this very thread
        assertEquals(Thread.currentThread(), ran.here().getNow(null));
        assertNotEquals(Thread.currentThread(), ran.there().get(10, TimeUnit.SECONDS));
    }

    /** Started, and its mailbox given back by the pool thread that ran it (a busy one only queues the message). */
    private static void idle(ActorRef<Ran> actor) throws Exception {
        Ran started = new Ran(new CompletableFuture<>(), null, null);
        actor.tell(started);
        started.here().get(10, TimeUnit.SECONDS);
        Thread.sleep(200);
    }

    @Test
    void aSendOutsideARequestRunsOnThePool() throws Exception {
        ActorRef<Ran> actor = recorder();
        Ran ran = new Ran(new CompletableFuture<>(), null, null);
        actor.tell(ran);
        assertNotEquals(Thread.currentThread(), ran.here().get(10, TimeUnit.SECONDS));
    }
}
