package dev.strata.actors;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Asking an actor, with the answer handed on where it arrives. Pekko's ask answers with Scala's
 * CompletableFuture, whose thenApply, whenComplete and the like run on the default async executor:
 * with fewer than three cores the common pool has one thread and CompletableFuture then starts a new
 * thread for every such step. Measured on 2 cores: two threads started per {@code strata run}, about a
 * fifth of the daemon's CPU for it. The answer here is a plain CompletableFuture completed on the
 * answering thread, whose later steps run where they complete, as callers expect.
 */
public final class Asks {
    private Asks() {
    }

    public static <Req, Res> CompletableFuture<Res> ask(RecipientRef<Req> target, Function<ActorRef<Res>, Req> message, Duration timeout,
                                                         Scheduler scheduler) {
        return AskPattern.<Req, Res>ask(target, message::apply, timeout, scheduler).toCompletableFuture()
                .thenApplyAsync(Function.identity(), Runnable::run);
    }
}
