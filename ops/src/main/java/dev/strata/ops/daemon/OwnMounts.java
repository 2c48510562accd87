package dev.strata.ops.daemon;

import dev.strata.actors.Mount;
import dev.strata.actors.RequestThreadExecutor;
import dev.strata.actors.Runtimes;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import dev.strata.engine.NodeTable;
import dev.strata.fuse.FuseSession;
import dev.strata.fuse.RequestObserver;
import dev.strata.fuse.RequestRouter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The connections of one view that {@code strata-run --own-mount} mounts in its tree's own mount
 * namespace and hands over: each is served straight by its runtime's Mount, with no ancestry to
 * ask, and the kernel keeps every answer on it (README: Own mounts). One ends with its Mount, when
 * the namespace's last process exits, or with the daemon.
 */
final class OwnMounts {
    private final ActorSystem<?> system;
    private final NodeTable nodes;
    private final Path mountpoint;
    private final boolean passthrough;
    private final RequestObserver observer;
    private final Set<FuseSession> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong served = new AtomicLong();

    OwnMounts(ActorSystem<?> system, NodeTable nodes, Path mountpoint, boolean passthrough, RequestObserver observer) {
        this.system = system;
        this.nodes = nodes;
        this.mountpoint = mountpoint;
        this.passthrough = passthrough;
        this.observer = observer;
    }

    /** Where a tree mounts its own connection: over the shared mount, in its namespace. */
    Path mountpoint() {
        return mountpoint;
    }

    /** Own connections served now. */
    int live() {
        return live.size();
    }

    /** Serves descriptor {@code fd} of process {@code pid}, a /dev/fuse it mounted, for {@code target}'s Mount. */
    void serve(Runtimes.OwnMountTarget target, int pid, int fd) throws IOException {
        OneMount router = new OneMount(target.mount(), nodes);
        FuseSession session = FuseSession.adopt(new FuseSession.Options(mountpoint, 1, passthrough, observer, true), router, pid, fd);
        live.add(session);
        session.whenEnded(() -> {
            live.remove(session);
            router.releaseAll();
        });
        system.systemActorOf(endsWith(target.mount(), session), "own-mount-" + served.incrementAndGet(), Props.empty());
    }

    /** At shutdown: every tree on an own connection sees ENOTCONN from now on. */
    void closeAll() {
        live.forEach(FuseSession::close);
    }

    private enum Ended { INSTANCE }

    /** Watches the Mount: the connection ends with it. Stops when the connection ends first. */
    private static Behavior<Ended> endsWith(ActorRef<Mount.Command> mount, FuseSession session) {
        return Behaviors.setup(ctx -> {
            ctx.watch(mount);
            ActorRef<Ended> self = ctx.getSelf();
            session.whenEnded(() -> self.tell(Ended.INSTANCE));
            return Behaviors.receive(Ended.class)
                    .onMessage(Ended.class, e -> Behaviors.stopped())
                    .onSignal(Terminated.class, t -> {
                        CompletableFuture.runAsync(session::close); // it waits for its readers: not on a dispatcher thread
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }

    /**
     * Sends every request to one Mount, and counts the node references its answers give the kernel:
     * an own connection that ends gets no FORGETs for them, so they are given back here.
     */
    private static final class OneMount implements RequestRouter {
        private final ActorRef<Mount.Command> mount;
        private final NodeTable nodes;
        private final Map<Long, Long> held = new ConcurrentHashMap<>();

        OneMount(ActorRef<Mount.Command> mount, NodeTable nodes) {
            this.mount = mount;
            this.nodes = nodes;
        }

        @Override
        public void dispatch(FsRequest request, Consumer<FsReply> answer) {
            Mount.Handle handle = new Mount.Handle(request, reply -> {
                count(request, reply);
                answer.accept(reply);
            });
            RequestThreadExecutor.onThisThread(() -> mount.tell(handle));
        }

        private void count(FsRequest request, FsReply reply) {
            if (reply instanceof FsReply.Entry e) {
                hold(e.node());
            } else if (reply instanceof FsReply.Created c) {
                hold(c.entry().node());
            } else if (reply instanceof FsReply.DirEntries d && request instanceof FsRequest.ReadDir r && r.plus()) {
                d.entries().forEach(e -> hold(e.node()));
            }
        }

        private void hold(long node) {
            if (node != 0) {
                held.merge(node, 1L, Long::sum);
            }
        }

        @Override
        public void forget(long node, long count) {
            held.computeIfPresent(node, (n, c) -> c > count ? c - count : null);
            nodes.forget(node, count);
        }

        void releaseAll() {
            held.forEach(nodes::forget);
            held.clear();
        }
    }
}
