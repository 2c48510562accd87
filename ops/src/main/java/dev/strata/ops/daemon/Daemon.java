package dev.strata.ops.daemon;

import dev.strata.actors.Asks;
import dev.strata.actors.Guardian;
import dev.strata.actors.Mount;
import dev.strata.actors.RequestThreadExecutor;
import dev.strata.actors.RouteCache;
import dev.strata.actors.fs.FsReply;
import dev.strata.actors.fs.FsRequest;
import java.util.function.Consumer;
import dev.strata.actors.Router;
import dev.strata.actors.Runtimes;
import dev.strata.ops.control.ControlSocketServer;
import dev.strata.ops.control.LaunchProtocol;
import dev.strata.actors.process.ProcessTable;
import dev.strata.engine.LayerMerge;
import dev.strata.engine.NodeTable;
import dev.strata.engine.View;
import dev.strata.fuse.FuseSession;
import dev.strata.fuse.RequestRouter;
import dev.strata.ops.StrataHome;
import dev.strata.persistence.ReadThrough;
import dev.strata.persistence.Repository;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StrataControlHandlerFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Strata daemon: the actor tree, one FUSE mount showing each process tree its runtime's view,
 * and the gRPC control plane on a Unix domain socket, where every call carries its caller's
 * kernel-attested identity. Stops through Pekko's CoordinatedShutdown (SIGTERM, or
 * the Shutdown call), which unmounts first.
 */
public final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final ActorSystem<Guardian.Command> system;
    /** The kernel connection; null when the daemon runs degraded. */
    private final FuseSession session;
    private final Path mountpoint;
    /** Runtimes over rendered copies, when the daemon runs without FUSE; else null. */
    private final DegradedViews degraded;
    private final ControlSocketServer control;
    private final ReadThrough readThrough;
    private final long startedAt = System.currentTimeMillis();

    /**
     * Options of {@code strata service start}; {@code socket} is where the control plane listens, and
     * {@code cli} runs the commands the native front end asks the daemon to run for its caller.
     */
    public record Options(Path mountpoint, boolean passthrough, int readerThreads, Path socket, LaunchProtocol.Cli cli,
                          List<dev.strata.persistence.Store> readThrough, dev.strata.ops.fleet.FleetConfig fleet,
                          java.util.function.BiFunction<List<String>, dev.strata.persistence.Sync.Listener, String> fleetPull,
                          String metricsListen, boolean noFuse) {
        public Options(Path mountpoint, boolean passthrough, int readerThreads, Path socket, LaunchProtocol.Cli cli,
                       List<dev.strata.persistence.Store> readThrough, dev.strata.ops.fleet.FleetConfig fleet,
                       java.util.function.BiFunction<List<String>, dev.strata.persistence.Sync.Listener, String> fleetPull,
                       String metricsListen) {
            this(mountpoint, passthrough, readerThreads, socket, cli, readThrough, fleet, fleetPull, metricsListen, false);
        }

        /** The same daemon, without FUSE (degraded) or not. */
        public Options withoutFuse(boolean off) {
            return new Options(mountpoint, passthrough, readerThreads, socket, cli, readThrough, fleet, fleetPull, metricsListen, off);
        }

        /** A daemon that runs no CLI commands itself (the front end then starts the full CLI) and reads no remotes. */
        public Options(Path mountpoint, boolean passthrough, int readerThreads, Path socket) {
            this(mountpoint, passthrough, readerThreads, socket, null, List.of());
        }

        /** A daemon that reads no remotes. */
        public Options(Path mountpoint, boolean passthrough, int readerThreads, Path socket, LaunchProtocol.Cli cli) {
            this(mountpoint, passthrough, readerThreads, socket, cli, List.of());
        }

        /** A daemon in no fleet. */
        public Options(Path mountpoint, boolean passthrough, int readerThreads, Path socket, LaunchProtocol.Cli cli,
                       List<dev.strata.persistence.Store> readThrough) {
            this(mountpoint, passthrough, readerThreads, socket, cli, readThrough, null, null, null);
        }
    }

    private Daemon(ActorSystem<Guardian.Command> system, FuseSession session, Path mountpoint, DegradedViews degraded,
                   ControlSocketServer control, ReadThrough readThrough) {
        this.system = system;
        this.session = session;
        this.mountpoint = mountpoint;
        this.degraded = degraded;
        this.control = control;
        this.readThrough = readThrough;
    }

    public static Daemon start(StrataHome home, Options options) throws IOException {
        home.secure();
        Repository repo = home.repository();
        ReadThrough readThrough = options.readThrough().isEmpty() ? null : new ReadThrough(repo, options.readThrough(), 4).install();
        dev.strata.ops.metrics.DaemonMetrics metrics = new dev.strata.ops.metrics.DaemonMetrics();
        if (readThrough != null) {
            metrics.readThrough(readThrough);
        }
        NodeTable nodes = new NodeTable();
        View empty = new View(LayerMerge.merge(List.of()), repo.blobs());
        RouteCache routes = new RouteCache();
        metrics.engine(routes);
        metrics.keptAnswers(nodes.answers());
        // in a fleet, the actor system is a cluster node too (one name for all: cluster members must share it)
        com.typesafe.config.Config config = options.fleet() == null ? com.typesafe.config.ConfigFactory.load()
                : options.fleet().pekko().withFallback(com.typesafe.config.ConfigFactory.load());
        ActorSystem<Guardian.Command> system = ActorSystem.create(Guardian.create(ProcessTable.forThisPlatform(), nodes, () -> empty, routes,
                repo, home.snapshotsPath(), home.runtimesPath()), dev.strata.ops.fleet.FleetConfig.SYSTEM_NAME, config);
        FuseSession session = null;
        try {
            ActorRef<Router.Command> router = Asks.<Guardian.Command, ActorRef<Router.Command>>ask(
                    system, Guardian.GetRouter::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get();
            ActorRef<Runtimes.Command> runtimes = Asks.<Guardian.Command, ActorRef<Runtimes.Command>>ask(
                    system, Guardian.GetRuntimes::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get();
            String noFuse = options.noFuse() ? "turned off with --no-fuse" : dev.strata.fuse.FuseAvailability.missing();
            DegradedViews degraded = null;
            OwnMounts ownMounts = null;
            if (noFuse == null) {
                session = FuseSession.mount(new FuseSession.Options(options.mountpoint(), options.readerThreads(), options.passthrough(), metrics),
                        new RouterGateway(router, routes, nodes, answerDelay()));
                nodes.answers().attach(session.kernelCaches()); // from now on answers every runtime agrees on may be kept
                metrics.fuseReaders(session::readers);
                ownMounts = new OwnMounts(system, nodes, session.mountpoint(), session.passthrough(), metrics);
                metrics.ownMounts(ownMounts::live);
            } else {
                dev.strata.fuse.Mounts.clearStale(options.mountpoint().toAbsolutePath().normalize());
                degraded = new DegradedViews(repo, options.mountpoint().toAbsolutePath().normalize(), noFuse,
                        name -> ControlService.running(system, runtimes, name));
                log.warn("no FUSE ({}): commands run over rendered copies of their views under {}", noFuse, options.mountpoint());
            }
            Path mountpoint = session != null ? session.mountpoint() : options.mountpoint().toAbsolutePath().normalize();
            Daemon[] self = new Daemon[1];
            dev.strata.ops.fleet.Fleet fleet = null;
            if (options.fleet() != null) {
                fleet = new dev.strata.ops.fleet.Fleet(system, options.fleet());
                system.systemActorOf(dev.strata.ops.fleet.FleetAdmin.create(new dev.strata.ops.fleet.FleetAdmin.Node(options.fleet().node(), runtimes,
                        () -> self[0].describe(home), options.fleetPull() != null ? options.fleetPull()
                                : (refs, progress) -> { throw new IllegalStateException("this daemon has no strata.cluster.pull-remote"); },
                        java.util.concurrent.Executors.newCachedThreadPool())), "fleet-admin", org.apache.pekko.actor.typed.Props.empty());
                log.info("strata daemon in the fleet as {} (seed nodes {})", options.fleet().node(), options.fleet().seedNodes());
            }
            ControlService.Daemon shared = new ControlService.Daemon(system, runtimes, () -> self[0].status(),
                    () -> CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()), fleet, metrics, degraded, ownMounts);
            var errors = ControlErrors.handler();
            ControlSocketServer control = ControlSocketServer.start(options.socket(), system,
                    caller -> timed(metrics, handler(StrataControlHandlerFactory.create(new ControlService(shared, caller), errors, system))));
            // the native launcher's one-round-trip protocol, beside the gRPC socket
            ControlSocketServer launch = ControlSocketServer.start(launchSocket(options.socket()),
                    new LaunchProtocol(caller -> new ControlService(shared, caller), (caller, request) -> new ControlService(shared, caller).ownMount(request),
                            options.cli(), repo));
            Daemon daemon = new Daemon(system, session, mountpoint, degraded, control, readThrough);
            self[0] = daemon;
            // Shutdown tasks first, the address file last: a SIGTERM as soon as clients can see us must still unmount.
            CoordinatedShutdown cs = CoordinatedShutdown.get(system);
            FuseSession mounted = session;
            DegradedViews copies = degraded;
            OwnMounts own = ownMounts;
            cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "unmount", () -> {
                DaemonAddress.remove(home);
                if (mounted != null) {
                    own.closeAll();
                    mounted.close();
                } else {
                    copies.releaseAll();
                }
                return CompletableFuture.completedFuture(Done.getInstance());
            });
            cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "close-control", () -> {
                control.close();
                launch.close();
                if (readThrough != null) {
                    readThrough.close();
                }
                return CompletableFuture.completedFuture(Done.getInstance());
            });
            if (options.metricsListen() != null && !options.metricsListen().isBlank()) {
                serveMetrics(system, metrics, options.metricsListen());
            }
            DaemonAddress address = new DaemonAddress(control.path(), ProcessHandle.current().pid(), mountpoint);
            address.write(home);
            log.info("strata daemon {} serving {} (control on {}, {})", address.pid(), mountpoint, control.path(),
                    session != null ? "passthrough " + session.passthrough() : "degraded: " + noFuse);
            return daemon;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon(system, session);
            throw new IOException("interrupted while starting");
        } catch (java.util.concurrent.ExecutionException | IOException | RuntimeException e) {
            abandon(system, session);
            Throwable cause = e.getCause() != null && !(e instanceof IOException) ? e.getCause() : e;
            throw cause instanceof IOException io ? io : new IOException("the daemon could not start: " + cause.getMessage(), cause);
        }
    }

    /** The launcher's socket: {@code launch.sock} beside the control socket. */
    public static Path launchSocket(Path control) {
        return control.resolveSibling("launch.sock");
    }

    /** Pekko gRPC's handler as a plain function (it declares no checked exception in practice). */
    private static java.util.function.Function<org.apache.pekko.http.javadsl.model.HttpRequest,
            CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> handler(org.apache.pekko.japi.function.Function<
            org.apache.pekko.http.javadsl.model.HttpRequest, CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> grpc) {
        return request -> {
            try {
                return grpc.apply(request);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        };
    }

    /**
     * Serves GET /metrics in Prometheus' text format on a loopback address (strata.metrics-listen), for
     * a scraper on this machine; anything else there answers 404. Off the FUSE path entirely.
     */
    private static void serveMetrics(ActorSystem<?> system, dev.strata.ops.metrics.DaemonMetrics metrics, String listen) throws IOException {
        int colon = listen.lastIndexOf(':');
        String host = colon > 0 ? listen.substring(0, colon) : "";
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IOException("strata.metrics-listen is HOST:PORT on loopback, not '" + listen + "'");
        }
        if (!java.net.InetAddress.getByName(host).isLoopbackAddress()) {
            throw new IOException("strata.metrics-listen must be a loopback address (the metrics count every user's work), not '" + host + "'");
        }
        try {
            org.apache.pekko.http.javadsl.Http.get(system).newServerAt(host, port).bindSync(request ->
                    request.getUri().path().equals("/metrics")
                            ? org.apache.pekko.http.javadsl.model.HttpResponse.create().withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.TEXT_PLAIN_UTF8,
                                    metrics.scrape())
                            : org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(404))
                    .toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        log.info("metrics on http://{}:{}/metrics", host, port);
    }

    /** The control methods there are: a metric's tag takes only these (a client cannot invent tags). */
    private static final java.util.Set<String> CONTROL_METHODS = dev.strata.protocol.StrataControlProto.getDescriptor()
            .findServiceByName("StrataControl").getMethods().stream().map(com.google.protobuf.Descriptors.MethodDescriptor::getName)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** Times every control call by its method. */
    private static java.util.function.Function<org.apache.pekko.http.javadsl.model.HttpRequest,
            CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> timed(dev.strata.ops.metrics.DaemonMetrics metrics,
            java.util.function.Function<org.apache.pekko.http.javadsl.model.HttpRequest,
                    CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> calls) {
        return request -> {
            long started = System.nanoTime();
            String path = request.getUri().path();
            String method = path.substring(path.lastIndexOf('/') + 1);
            String known = CONTROL_METHODS.contains(method) ? method : "other";
            return calls.apply(request).whenComplete((response, failure) -> metrics.controlCall(known, System.nanoTime() - started,
                    failure == null && response.status().isSuccess()));
        };
    }

    /** A start that failed half-way: unmount what it mounted and stop its actors. */
    private static void abandon(ActorSystem<?> system, FuseSession session) {
        if (session != null) {
            session.close();
        }
        system.terminate();
    }

    private volatile long storeBytes = -1;
    private volatile long storeMeasuredAt;

    /**
     * This node as the fleet sees it. The store's size is a walk of the store: it is measured at most once
     * a minute, in the background, and the last measurement is reported (-1 before the first).
     */
    dev.strata.protocol.FleetNode.Builder describe(StrataHome home) {
        long now = System.currentTimeMillis();
        if (now - storeMeasuredAt > 60_000) {
            storeMeasuredAt = now;
            CompletableFuture.runAsync(() -> {
                try (var files = java.nio.file.Files.walk(home.repositoryPath())) {
                    storeBytes = files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
                } catch (IOException | java.io.UncheckedIOException e) {
                    storeBytes = -1;
                }
            });
        }
        boolean healthy;
        try {
            healthy = session != null && dev.strata.fuse.Mounts.isFuseMounted(mountpoint);
        } catch (RuntimeException e) {
            healthy = false;
        }
        return dev.strata.protocol.FleetNode.newBuilder().setVersion(VERSION).setUptimeMs(now - startedAt).setMountHealthy(healthy)
                .setStoreBytes(storeBytes).setMountpoint(mountpoint.toString())
                .setLoad(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** This build's version, as --version says it. */
    public static final String VERSION = "0.1.0";

    StatusReply.Builder status() {
        StatusReply.Builder s = StatusReply.newBuilder().setMountpoint(mountpoint.toString()).setDaemonPid((int) ProcessHandle.current().pid())
                .setUptimeMs(System.currentTimeMillis() - startedAt).setPassthrough(session != null && session.passthrough())
                .setMode(degraded == null ? "fuse" : "degraded: " + degraded.reason()).setDaemonUid(dev.strata.actors.Caller.DAEMON_USER);
        if (readThrough != null) {
            ReadThrough.Counts c = readThrough.counts();
            s.addAllReadThrough(readThrough.remoteNames()).setRemoteFetches(c.fetches()).setRemoteBytes(c.bytes()).setRemoteFailures(c.failures());
        }
        return s;
    }

    public CompletionStage<Done> whenTerminated() {
        return system.getWhenTerminated();
    }

    public ActorSystem<Guardian.Command> system() {
        return system;
    }

    public Path controlSocket() {
        return control.path();
    }

    public CompletionStage<Done> stop() {
        return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    }

    /**
     * For tests of the load harness only: STRATA_TEST_ANSWER_DELAY_US makes every kernel answer wait that
     * long (on a timer, not on a reader thread), so that a deliberately slowed daemon can be measured.
     */
    private static Consumer<Runnable> answerDelay() {
        String micros = System.getenv("STRATA_TEST_ANSWER_DELAY_US");
        if (micros == null || micros.isBlank()) {
            return null;
        }
        long delay = Long.parseLong(micros.trim());
        log.warn("every kernel answer is delayed by {} us (STRATA_TEST_ANSWER_DELAY_US, for tests only)", delay);
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-answer-delay");
            t.setDaemon(true);
            return t;
        });
        return answer -> timer.schedule(answer, delay, java.util.concurrent.TimeUnit.MICROSECONDS);
    }

    /**
     * Sends each kernel request to the Mount the Router last chose for the calling thread, or to the
     * Router when it has not chosen yet; forgets go straight to the node table.
     */
    private record RouterGateway(ActorRef<Router.Command> router, RouteCache routes, NodeTable nodes, Consumer<Runnable> delay)
            implements RequestRouter {
        @Override
        public void dispatch(FsRequest request, Consumer<FsReply> answer) {
            Consumer<FsReply> reply = delay == null ? answer : a -> delay.accept(() -> answer.accept(a));
            int tid = request.caller().tid();
            ActorRef<Mount.Command> mount = tid == 0 ? null : routes.mountFor(tid);
            if (mount != null) {
                Mount.Handle handle = new Mount.Handle(request, reply);
                RequestThreadExecutor.onThisThread(() -> mount.tell(handle));
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
