package dev.strata.ops.daemon;

import dev.strata.actors.Guardian;
import dev.strata.actors.Mount;
import dev.strata.actors.RouteCache;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import java.util.function.Consumer;
import dev.strata.actors.Router;
import dev.strata.actors.Snapshots;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.LayerMerge;
import dev.strata.engine.NodeTable;
import dev.strata.engine.View;
import dev.strata.fuse.FuseSession;
import dev.strata.fuse.RequestRouter;
import dev.strata.ops.StrataHome;
import dev.strata.persistence.Repository;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StrataControlHandlerFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Strata daemon: the actor tree, one FUSE mount showing each process tree its runtime's view,
 * and the gRPC control plane on loopback. Stops through Pekko's CoordinatedShutdown (SIGTERM, or
 * the Shutdown call), which unmounts first.
 */
public final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final ActorSystem<Guardian.Command> system;
    private final FuseSession session;
    private final ServerBinding binding;
    private final long startedAt = System.currentTimeMillis();

    /** Options of {@code strata service start}. */
    public record Options(Path mountpoint, boolean passthrough, int readerThreads) {
    }

    private Daemon(ActorSystem<Guardian.Command> system, FuseSession session, ServerBinding binding) {
        this.system = system;
        this.session = session;
        this.binding = binding;
    }

    public static Daemon start(StrataHome home, Options options) throws IOException {
        Repository repo = home.repository();
        RuntimeDirectories.removeEnded(home.runtimesPath());
        NodeTable nodes = new NodeTable();
        View empty = new View(LayerMerge.merge(List.of()), repo.blobs());
        RouteCache routes = new RouteCache();
        ActorSystem<Guardian.Command> system = ActorSystem.create(
                Guardian.create(ProcessTable.forThisPlatform(), nodes, () -> empty, routes, home.snapshotsPath(), home.runtimesPath()), "strata");
        try {
            ActorRef<Router.Command> router = AskPattern.<Guardian.Command, ActorRef<Router.Command>>ask(
                    system, Guardian.GetRouter::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get();
            FuseSession session = FuseSession.mount(new FuseSession.Options(options.mountpoint(), options.readerThreads(), options.passthrough()),
                    new RouterGateway(router, routes, nodes));
            ExecutorService blocking = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "strata-control-io");
                t.setDaemon(true);
                return t;
            });
            Daemon[] self = new Daemon[1];
            ActorRef<Snapshots.Command> snapshots = AskPattern.<Guardian.Command, ActorRef<Snapshots.Command>>ask(
                    system, Guardian.GetSnapshots::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get();
            ControlService control = new ControlService(system, router, snapshots, repo, home.runtimesPath(), home.snapshotsPath(), blocking,
                    () -> self[0].status(), () -> CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()));
            ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
                    .bind(StrataControlHandlerFactory.create(control, system)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Daemon daemon = new Daemon(system, session, binding);
            self[0] = daemon;
            // Shutdown tasks first, the address file last: a SIGTERM as soon as clients can see us must still unmount.
            CoordinatedShutdown cs = CoordinatedShutdown.get(system);
            cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "unmount", () -> {
                DaemonAddress.remove(home);
                session.close();
                return CompletableFuture.completedFuture(Done.getInstance());
            });
            cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "unbind-control", () ->
                    binding.unbind().thenApply(x -> Done.getInstance()));
            cs.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "stop-io", () -> {
                blocking.shutdownNow();
                return CompletableFuture.completedFuture(Done.getInstance());
            });
            DaemonAddress address = new DaemonAddress("127.0.0.1", binding.localAddress().getPort(), ProcessHandle.current().pid(),
                    session.mountpoint());
            address.write(home);
            log.info("strata daemon {} serving {} (control on 127.0.0.1:{}, passthrough {})", address.pid(),
                    session.mountpoint(), address.port(), session.passthrough());
            return daemon;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            system.terminate();
            throw new IOException("interrupted while starting");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
            system.terminate();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw cause instanceof IOException io ? io : new IOException("the daemon could not start: " + cause.getMessage(), cause);
        }
    }

    StatusReply.Builder status() {
        return StatusReply.newBuilder().setMountpoint(session.mountpoint().toString()).setDaemonPid((int) ProcessHandle.current().pid())
                .setUptimeMs(System.currentTimeMillis() - startedAt).setPassthrough(session.passthrough());
    }

    public CompletionStage<Done> whenTerminated() {
        return system.getWhenTerminated();
    }

    public ActorSystem<Guardian.Command> system() {
        return system;
    }

    public int controlPort() {
        return binding.localAddress().getPort();
    }

    public CompletionStage<Done> stop() {
        return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    }

    /**
     * Sends each kernel request to the Mount the Router last chose for the calling thread, or to the
     * Router when it has not chosen yet; forgets go straight to the node table.
     */
    private record RouterGateway(ActorRef<Router.Command> router, RouteCache routes, NodeTable nodes) implements RequestRouter {
        @Override
        public void dispatch(FsRequest request, Consumer<FsReply> reply) {
            int tid = request.caller().tid();
            ActorRef<Mount.Command> mount = tid == 0 ? null : routes.mountFor(tid);
            if (mount != null) {
                mount.tell(new Mount.Handle(request, reply));
            } else {
                router.tell(new Router.Forward(request, reply));
            }
        }

        @Override
        public void forget(long node, long count) {
            nodes.forget(node, count);
        }
    }
}
