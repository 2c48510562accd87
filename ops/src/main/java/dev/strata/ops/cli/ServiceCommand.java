package dev.strata.ops.cli;

import ch.qos.logback.classic.Level;
import dev.strata.ops.daemon.Daemon;
import dev.strata.ops.daemon.DaemonAddress;
import dev.strata.persistence.RepositoryException;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.ShutdownRequest;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StatusRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import dev.strata.ops.StrataConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "service", description = "Run, stop or inspect the daemon.",
        subcommands = {ServiceCommand.Start.class, ServiceCommand.Stop.class, ServiceCommand.Status.class, ServiceInstall.class})
final class ServiceCommand {
    @ParentCommand
    StrataCommand strata;

    /** A flag over the configuration (files, then environment). */
    static <T> T effective(T flag, T configured) {
        return flag != null ? flag : configured;
    }

    @Command(name = "start", description = "Run the daemon in the foreground (as systemd and launchd expect); SIGTERM stops it.")
    static final class Start implements Callable<Integer> {
        @ParentCommand
        ServiceCommand service;

        @Option(names = "--mountpoint", paramLabel = "DIR", description = "Default: $STRATA_MOUNTPOINT or /strata.")
        Path mountpoint;

        @Option(names = "--no-passthrough", description = "Serve reads in userspace even where the kernel offers FUSE passthrough.")
        boolean noPassthrough;

        @Option(names = "--readers", description = "Readers kept waiting on the FUSE device; more are added while one is held by a slow answer (default: strata.readers, 1).")
        Integer readers;

        @Option(names = "--no-fuse", description = "Run degraded, as where FUSE is missing: each runtime's tree runs over a rendered copy "
                + "of its view under the mount point (not isolated, not committable).")
        boolean noFuse;

        @Override
        public Integer call() throws Exception {
            StrataCommand strata = service.strata;
            StrataConfig config = strata.config();
            if (config.values().get("log-level").source().equals("default")) {
                // Strata's own events at INFO; library chatter (Netty, Pekko internals) stays at WARN
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.strata")).setLevel(Level.INFO);
            }
            Optional<DaemonAddress> running = DaemonAddress.find(strata.home());
            if (running.isPresent()) {
                throw new RepositoryException("a strata daemon (pid " + running.get().pid() + ") already serves STRATA_HOME=" + strata.home().root());
            }
            Path mp = effective(mountpoint, config.mountpoint());
            if (java.nio.file.Files.isDirectory(mp) && !dev.strata.fuse.Mounts.isFuseMounted(mp.toAbsolutePath())) {
                try (var entries = java.nio.file.Files.list(mp)) {
                    if (entries.findAny().isPresent()) {
                        strata.err.println("strata: warning: " + mp + " is not empty; the mount hides what is in it while the daemon runs");
                    }
                }
            }
            dev.strata.ops.fleet.FleetConfig fleet = dev.strata.ops.fleet.FleetConfig.load(config.files(), strata.env);
            Daemon daemon;
            try {
                daemon = Daemon.start(strata.home(), new Daemon.Options(mp.toAbsolutePath(), !noPassthrough && config.passthrough(),
                        effective(readers, config.readers()),
                        config.socket(), StrataCommand::serve, readThrough(strata), fleet, fleet == null ? null : pullFrom(strata, fleet),
                        config.get("metrics-listen")).withoutFuse(noFuse));
            } catch (IOException e) {
                throw new RepositoryException(e.getMessage());
            }
            strata.err.println("strata: serving " + mp.toAbsolutePath() + "; stop with: strata service stop (or SIGTERM)");
            daemon.whenTerminated().toCompletableFuture().get();
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop the daemon cleanly: unmount, end every runtime.")
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        ServiceCommand service;

        @Override
        public Integer call() throws Exception {
            StrataCommand strata = service.strata;
            try (DaemonClient client = DaemonClient.connect(strata)) {
                long pid = client.address().pid();
                client.call(c -> c.shutdown(ShutdownRequest.getDefaultInstance()));
                Optional<ProcessHandle> handle = ProcessHandle.of(pid);
                if (handle.isPresent()) {
                    handle.get().onExit().get(30, TimeUnit.SECONDS);
                }
                strata.err.println("strata: the daemon (pid " + pid + ") stopped");
            }
            return 0;
        }
    }

    /** What a fleet pull does on this node: the refs from strata.cluster.pull-remote into this home's repository. */
    static java.util.function.BiFunction<java.util.List<String>, dev.strata.persistence.Sync.Listener, String> pullFrom(StrataCommand strata,
                                                                                                                      dev.strata.ops.fleet.FleetConfig fleet) {
        return (refs, progress) -> {
            if (fleet.pullRemote() == null) {
                throw new IllegalStateException("this node has no strata.cluster.pull-remote to pull from");
            }
            dev.strata.ops.remote.Remote remote = strata.config().remotes().get(fleet.pullRemote());
            if (remote == null) {
                throw new IllegalStateException("strata.cluster.pull-remote names remote '" + fleet.pullRemote() + "', which is not configured");
            }
            try (dev.strata.persistence.Store from = dev.strata.ops.remote.Remotes.open(remote, strata.env);
                 dev.strata.persistence.Store to = new dev.strata.persistence.LocalStore(strata.home().repository(), "this repository")) {
                dev.strata.persistence.Sync.Result r = new dev.strata.persistence.Sync(from, to, dev.strata.persistence.Sync.Policy.MISSING_ONLY, 8, 0,
                        progress).sync(refs);
                return "pulled from " + remote.name() + ": " + Format.count(r.objects(), "object") + ", " + Format.count(r.blobs(), "blob") + ", "
                        + Format.bytes(r.bytes());
            }
        };
    }

    /** The remotes named by strata.read-through, opened for the daemon (empty: read-through off). */
    static java.util.List<dev.strata.persistence.Store> readThrough(StrataCommand strata) {
        String names = strata.config().get("read-through");
        java.util.List<dev.strata.persistence.Store> stores = new java.util.ArrayList<>();
        if (names == null || names.isBlank()) {
            return stores;
        }
        java.util.Map<String, dev.strata.ops.remote.Remote> remotes = strata.config().remotes();
        for (String name : names.split("[,\\s]+")) {
            dev.strata.ops.remote.Remote r = remotes.get(name);
            if (r == null) {
                throw new IllegalArgumentException("strata.read-through names remote '" + dev.strata.actors.ControlRules.quote(name)
                        + "', which is not configured (" + strata.config().values().get("read-through").source() + ")");
            }
            stores.add(dev.strata.ops.remote.Remotes.open(r, strata.env));
        }
        return stores;
    }

    @Command(name = "status", description = "Show the daemon and its runtimes.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        ServiceCommand service;

        @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
        boolean json;

        @picocli.CommandLine.Option(names = "--metrics", description = "Print the daemon's metrics in Prometheus' text format (root).")
        boolean metrics;


        @Override
        public Integer call() {
            StrataCommand strata = service.strata;
            try (DaemonClient client = DaemonClient.connect(strata)) {
                if (metrics) {
                    strata.out.print(client.call(c -> c.metrics(dev.strata.protocol.MetricsRequest.getDefaultInstance())).getText());
                    return 0;
                }
                StatusReply s = client.call(c -> c.status(StatusRequest.getDefaultInstance()));
                if (json) {
                    Json.print(strata, s);
                    return 0;
                }
                strata.out.printf("daemon pid %d serving %s, up %s, passthrough %s%s%n", s.getDaemonPid(), s.getMountpoint(),
                        Format.duration(Duration.ofMillis(s.getUptimeMs())), s.getPassthrough() ? "on" : "off",
                        s.getDaemonUid() == 0 ? "" : ", unprivileged: the mount is uid " + s.getDaemonUid() + "'s alone");
                if (s.getMode().startsWith("degraded")) {
                    strata.out.println("mode: " + s.getMode() + "; runtimes run over rendered copies under " + s.getMountpoint());
                }
                if (s.getReadThroughCount() > 0) {
                    strata.out.printf("read-through from %s: %s fetched (%s), %s%n", String.join(", ", s.getReadThroughList()),
                            Format.count(s.getRemoteFetches(), "blob"), Format.bytes(s.getRemoteBytes()), Format.count(s.getRemoteFailures(), "failure"));
                }
                if (s.getRuntimesCount() == 0) {
                    strata.out.println("no runtimes");
                }
                for (RuntimeInfo r : s.getRuntimesList()) {
                    strata.out.printf("%-20s %-18s uid %-6d root pid %-8d up %-10s %s%n", r.getName(),
                            (r.getEditable() ? "editable" : "read-only") + (r.getDurable() ? ",durable" : ""), r.getOwnerUid(), r.getRootPid(),
                            Format.duration(Duration.ofMillis(System.currentTimeMillis() - r.getStartedAtEpochMs())), r.getEnvSpec());
                }
            }
            return 0;
        }
    }
}
