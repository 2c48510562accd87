package dev.strata.ops.fleet;

import dev.strata.actors.Asks;
import dev.strata.actors.Caller;
import dev.strata.actors.RuntimeInfo;
import dev.strata.actors.Runtimes;
import dev.strata.protocol.FleetNode;
import dev.strata.protocol.FleetOutcome;
import dev.strata.protocol.FleetRuntime;
import dev.strata.protocol.FleetRuntimes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per daemon in a fleet, registered with the Receptionist: it answers for its node and acts on it
 * with the lifecycle owner's own commands (list, end, drain), as root, because the admin was checked
 * where the command entered the fleet. Its messages are plain data with an explicit serializer.
 */
public final class FleetAdmin {
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "strata-fleet-admin");
    private static final Duration LOCAL = Duration.ofSeconds(10);

    /** What crosses the cluster to an admin actor. */
    public sealed interface Command permits Describe, ListRuntimes, Unmount, Drain, Pull {
    }

    public record Describe(ActorRef<FleetNode> replyTo) implements Command {
    }

    public record ListRuntimes(ActorRef<FleetRuntimes> replyTo) implements Command {
    }

    public record Unmount(String runtime, ActorRef<FleetOutcome> replyTo) implements Command {
    }

    public record Drain(boolean drain, ActorRef<FleetOutcome> replyTo) implements Command {
    }

    public record Pull(List<String> refs, ActorRef<FleetOutcome> replyTo) implements Command {
    }

    /**
     * What the admin needs of its daemon: its node name, the lifecycle owner, a self-description, and
     * how to pull (refs, told to a listener as the transfer goes; returns what it did).
     */
    public record Node(String name, ActorRef<Runtimes.Command> runtimes, Supplier<FleetNode.Builder> describe,
                       java.util.function.BiFunction<List<String>, dev.strata.persistence.Sync.Listener, String> pull, Executor blocking) {
    }

    /** How far this node's fleet pull has come, for fleet status while it runs. */
    private static final class PullMeter implements dev.strata.persistence.Sync.Listener {
        final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong items = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong itemsTotal = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong bytesTotal = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void planned(long n, long b) {
            itemsTotal.addAndGet(n);
            bytesTotal.addAndGet(b);
        }

        @Override
        public void transferred(long n, long b) {
            items.addAndGet(n);
            bytes.addAndGet(b);
        }

        void start() {
            if (running.getAndIncrement() == 0) {
                items.set(0);
                itemsTotal.set(0);
                bytes.set(0);
                bytesTotal.set(0);
            }
        }

        FleetNode.Builder into(FleetNode.Builder b) {
            return b.setPulling(running.get() > 0).setPullItemsDone(items.get()).setPullItemsTotal(itemsTotal.get())
                    .setPullBytesDone(bytes.get()).setPullBytesTotal(bytesTotal.get());
        }
    }

    private FleetAdmin() {
    }

    public static Behavior<Command> create(Node node) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
            boolean[] draining = {false};
            PullMeter pulling = new PullMeter();
            return Behaviors.receive(Command.class)
                    .onMessage(Describe.class, d -> {
                        runtimes(ctx.getSystem(), node).whenComplete((list, failure) -> d.replyTo().tell(pulling.into(node.describe().get())
                                .setRuntimes(list == null ? -1 : list.size()).setDraining(draining[0]).build()));
                        return Behaviors.same();
                    })
                    .onMessage(ListRuntimes.class, l -> {
                        runtimes(ctx.getSystem(), node).whenComplete((list, failure) -> {
                            FleetRuntimes.Builder out = FleetRuntimes.newBuilder().setNode(node.name());
                            if (list != null) {
                                long now = System.currentTimeMillis();
                                for (RuntimeInfo r : list) {
                                    out.addRuntimes(FleetRuntime.newBuilder().setNode(node.name()).setName(r.name()).setOwnerUid(r.owner())
                                            .setEnvSpec(r.envSpec()).setAgeMs(now - r.started().toEpochMilli()).setEditable(r.editable())
                                            .setDurable(r.durable()));
                                }
                            }
                            l.replyTo().tell(out.build());
                        });
                        return Behaviors.same();
                    })
                    .onMessage(Unmount.class, u -> {
                        Asks.<Runtimes.Command, org.apache.pekko.pattern.StatusReply<RuntimeInfo>>ask(node.runtimes(),
                                        r -> new Runtimes.End(Caller.daemon(), u.runtime(), r), LOCAL, ctx.getSystem().scheduler())
                                .whenComplete((reply, failure) -> u.replyTo().tell(outcome(node, failure == null && reply.isSuccess(),
                                        failure != null ? failure.getMessage() : reply.isSuccess() ? "runtime " + u.runtime() + " ended"
                                                : reply.getError().getMessage(), 0)));
                        return Behaviors.same();
                    })
                    .onMessage(Drain.class, d -> {
                        draining[0] = d.drain();
                        Asks.<Runtimes.Command, Integer>ask(node.runtimes(), r -> new Runtimes.SetDraining(d.drain(), r), LOCAL,
                                        ctx.getSystem().scheduler())
                                .whenComplete((running, failure) -> d.replyTo().tell(failure != null ? outcome(node, false, failure.getMessage(), 0)
                                        : outcome(node, true, d.drain() ? (running == 0 ? "drained: no runtimes run"
                                        : "draining: " + running + " runtime" + (running == 1 ? "" : "s") + " still running") : "accepting runtimes", running)));
                        return Behaviors.same();
                    })
                    .onMessage(Pull.class, p -> {
                        pulling.start();
                        CompletableFuture.supplyAsync(() -> node.pull().apply(p.refs(), pulling), node.blocking())
                                .whenComplete((said, failure) -> pulling.running.decrementAndGet())
                                .whenComplete((said, failure) -> p.replyTo().tell(failure == null ? outcome(node, true, said, 0)
                                        : outcome(node, false, (failure.getCause() != null ? failure.getCause() : failure).getMessage(), 0)));
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static java.util.concurrent.CompletionStage<List<RuntimeInfo>> runtimes(org.apache.pekko.actor.typed.ActorSystem<?> system, Node node) {
        return Asks.ask(node.runtimes(), r -> new Runtimes.ListRunning(Caller.daemon(), false, r), LOCAL, system.scheduler());
    }

    private static FleetOutcome outcome(Node node, boolean ok, String message, int runtimes) {
        return FleetOutcome.newBuilder().setNode(node.name()).setOk(ok).setMessage(message == null ? "" : message).setRuntimes(runtimes).build();
    }
}
