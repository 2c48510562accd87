package dev.strata.actors;

import dev.strata.actors.fs.FsReply;
import dev.strata.engine.Errno;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Answers every kernel request that can no longer reach its Mount: one sent to a Mount that has
 * stopped (its runtime ended, or its daemon is stopping) or left in its mailbox when it stopped
 * becomes a dead letter, and is answered EIO here at once, so no process waits on the mount for a
 * request no one will serve. The bridge's 30 s sweeper stays as the last resort for anything else.
 */
final class LostRequests {
    private LostRequests() {
    }

    static Behavior<DeadLetter> create() {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, ctx.getSelf()));
            return Behaviors.receiveMessage(dead -> {
                if (dead.message() instanceof Mount.Handle h) {
                    h.reply().accept(new FsReply.Error(Errno.EIO, "its runtime ended before the request was served"));
                }
                return Behaviors.same();
            });
        });
    }
}
