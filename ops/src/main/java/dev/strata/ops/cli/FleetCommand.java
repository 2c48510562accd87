package dev.strata.ops.cli;

import dev.strata.protocol.FleetActionReply;
import dev.strata.protocol.FleetDrainRequest;
import dev.strata.protocol.FleetNode;
import dev.strata.protocol.FleetOutcome;
import dev.strata.protocol.FleetPullRequest;
import dev.strata.protocol.FleetRuntime;
import dev.strata.protocol.FleetRuntimesReply;
import dev.strata.protocol.FleetRuntimesRequest;
import dev.strata.protocol.FleetStatusReply;
import dev.strata.protocol.FleetStatusRequest;
import dev.strata.protocol.FleetUnmountRequest;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "fleet", description = "Drive every daemon of the fleet (a Pekko Cluster, strata.cluster) through this one: "
        + "root or the admin group only. A node is named HOST:PORT of its cluster address.",
        subcommands = {FleetCommand.Status.class, FleetCommand.Runtimes.class, FleetCommand.Unmount.class, FleetCommand.Drain.class,
                FleetCommand.Undrain.class, FleetCommand.Pull.class})
final class FleetCommand {
    @ParentCommand
    StrataCommand strata;

    /** A fleet command answers within the fleet timeout; a pull takes as long as its transfers. */
    private static final Duration PULL_PATIENCE = Duration.ofMinutes(30);

    private static void unanswered(StrataCommand strata, List<String> nodes) {
        if (!nodes.isEmpty()) {
            strata.err.println("strata: no answer from " + String.join(", ", nodes));
        }
    }

    /** Exit 1 when a node refused or did not answer. */
    private static int report(StrataCommand strata, FleetActionReply r) {
        for (FleetOutcome o : r.getOutcomesList()) {
            strata.out.printf("%-22s %s %s%n", o.getNode(), o.getOk() ? "ok    " : "failed", o.getMessage());
        }
        unanswered(strata, r.getUnansweredList());
        boolean failed = !r.getUnansweredList().isEmpty() || r.getOutcomesList().stream().anyMatch(o -> !o.getOk());
        return failed ? 1 : 0;
    }

    @Command(name = "status", description = "Every node: address, membership, version, uptime, mount health, runtimes, store size, load.")
    static final class Status implements Runnable {
        @ParentCommand
        FleetCommand parent;

        @Option(names = "--json", description = "Print JSON (the FleetStatusReply of strata_fleet.proto).")
        boolean json;

        @Override
        public void run() {
            FleetStatusReply r = DaemonClient.once(parent.strata, c -> c.fleetStatus(FleetStatusRequest.getDefaultInstance()));
            if (json) {
                Json.print(parent.strata, r);
                return;
            }
            parent.strata.out.printf("%-22s %-12s %-8s %-10s %-6s %8s %10s %6s%n", "NODE", "MEMBERSHIP", "VERSION", "UPTIME", "MOUNT", "RUNTIMES",
                    "STORE", "LOAD");
            for (FleetNode n : r.getNodesList()) {
                boolean answered = !r.getUnansweredList().contains(n.getNode());
                parent.strata.out.printf("%-22s %-12s %-8s %-10s %-6s %8s %10s %6s%n", n.getNode(),
                        n.getMembership() + (n.getDraining() ? ",draining" : ""), answered ? n.getVersion() : "-",
                        answered ? Format.duration(Duration.ofMillis(n.getUptimeMs())) : "-", answered ? (n.getMountHealthy() ? "ok" : "DOWN") : "-",
                        answered ? String.valueOf(n.getRuntimes()) : "-", answered && n.getStoreBytes() >= 0 ? Format.bytes(n.getStoreBytes()) : "-",
                        answered ? String.format("%.2f", n.getLoad()) : "-");
            }
            unanswered(parent.strata, r.getUnansweredList());
        }
    }

    @Command(name = "runtimes", description = "The runtimes of every node (or one), with owner, spec, age and kind.")
    static final class Runtimes implements Runnable {
        @ParentCommand
        FleetCommand parent;

        @Option(names = "--node", paramLabel = "HOST:PORT")
        String node;

        @Option(names = "--json", description = "Print JSON (the FleetRuntimesReply of strata_fleet.proto).")
        boolean json;

        @Override
        public void run() {
            FleetRuntimesReply r = DaemonClient.once(parent.strata, c -> c.fleetRuntimes(FleetRuntimesRequest.newBuilder()
                    .setNode(node == null ? "" : node).build()));
            if (json) {
                Json.print(parent.strata, r);
                return;
            }
            for (FleetRuntime rt : r.getRuntimesList()) {
                parent.strata.out.printf("%-22s %-20s uid %-6d %-18s up %-10s %s%n", rt.getNode(), rt.getName(), rt.getOwnerUid(),
                        (rt.getEditable() ? "editable" : "read-only") + (rt.getDurable() ? ",durable" : ""),
                        Format.duration(Duration.ofMillis(rt.getAgeMs())), rt.getEnvSpec());
            }
            unanswered(parent.strata, r.getUnansweredList());
        }
    }

    @Command(name = "unmount", description = "End runtime RUNTIME on node NODE.")
    static final class Unmount implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        @Parameters(index = "1", paramLabel = "RUNTIME")
        String runtime;

        @Override
        public Integer call() {
            return report(parent.strata, DaemonClient.once(parent.strata, c -> c.fleetUnmount(FleetUnmountRequest.newBuilder().setNode(node)
                    .setRuntime(runtime).build())));
        }
    }

    /** drain and undrain: one switch of a node. */
    abstract static class DrainSwitch implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        abstract boolean drain();

        @Override
        public Integer call() {
            return report(parent.strata, DaemonClient.once(parent.strata, c -> c.fleetDrain(FleetDrainRequest.newBuilder().setNode(node)
                    .setDrain(drain()).build())));
        }
    }

    @Command(name = "drain", description = "Node NODE starts no new runtimes; running ones finish. Says how many still run.")
    static final class Drain extends DrainSwitch {
        @Override
        boolean drain() {
            return true;
        }
    }

    @Command(name = "undrain", description = "Node NODE starts runtimes again.")
    static final class Undrain extends DrainSwitch {
        @Override
        boolean drain() {
            return false;
        }
    }

    @Command(name = "pull", description = "Every node (or those of --nodes) pulls REFS from its strata.cluster.pull-remote.")
    static final class Pull implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(arity = "1..*", paramLabel = "REFS")
        List<String> refs;

        @Option(names = "--nodes", split = ",", paramLabel = "HOST:PORT,...")
        List<String> nodes;

        @Override
        public Integer call() {
            FleetPullRequest.Builder q = FleetPullRequest.newBuilder().addAllRefs(refs);
            if (nodes != null) {
                q.addAllNodes(nodes);
            }
            StrataCommand strata = parent.strata;
            try (DaemonClient client = DaemonClient.connect(strata)) {
                FleetActionReply r = strata.interactive()
                        ? client.call(c -> c.fleetPull(q.build()), PULL_PATIENCE, Duration.ofMillis(500), () -> showProgress(strata, client))
                        : client.call(c -> c.fleetPull(q.build()), PULL_PATIENCE);
                if (strata.interactive()) {
                    strata.err.print("\r\033[K");
                }
                return report(strata, r);
            }
        }

        /** One line, redrawn: each pulling node's share of bytes moved. */
        private static void showProgress(StrataCommand strata, DaemonClient client) {
            FleetStatusReply s;
            try {
                s = client.call(c -> c.fleetStatus(FleetStatusRequest.getDefaultInstance()), Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                return;
            }
            StringBuilder line = new StringBuilder("pulling:");
            for (FleetNode n : s.getNodesList()) {
                if (n.getPulling()) {
                    long pct = n.getPullBytesTotal() == 0 ? 0 : 100 * n.getPullBytesDone() / n.getPullBytesTotal();
                    line.append("  ").append(n.getNode()).append(' ').append(pct).append("% (").append(n.getPullItemsDone()).append('/')
                            .append(n.getPullItemsTotal()).append(')');
                }
            }
            strata.err.print("\r\033[K" + line);
            strata.err.flush();
        }
    }
}
