package dev.strata.ops.fleet;

import dev.strata.actors.Asks;
import dev.strata.protocol.FleetActionReply;
import dev.strata.protocol.FleetNode;
import dev.strata.protocol.FleetOutcome;
import dev.strata.protocol.FleetRuntimes;
import dev.strata.protocol.FleetRuntimesReply;
import dev.strata.protocol.FleetStatusReply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * An admin's view of the fleet from this daemon: finds every node's admin actor through the
 * Receptionist, asks them all at once, and answers within the fleet timeout with what came back,
 * naming the members that did not answer. Membership is what Pekko Cluster says it is.
 */
public final class Fleet {
    private final ActorSystem<?> system;
    private final FleetConfig config;

    public Fleet(ActorSystem<?> system, FleetConfig config) {
        this.system = system;
        this.config = config;
    }

    public FleetConfig config() {
        return config;
    }

    /** host:port of a cluster address; this node's own admin has a local address, which is its configured one. */
    private String nodeOf(ActorRef<?> ref) {
        Address a = ref.path().address();
        return a.host().isDefined() ? a.host().get() + ":" + a.port().get() : config.node();
    }

    private static String nodeOf(Member m) {
        return m.address().host().get() + ":" + m.address().port().get();
    }

    /** Each member's membership: its status, or "unreachable" when the failure detector says so. */
    private Map<String, String> membership() {
        var state = Cluster.get(system).state();
        Set<Member> unreachable = new java.util.HashSet<>();
        state.getUnreachable().forEach(unreachable::add);
        Map<String, String> out = new LinkedHashMap<>();
        for (Member m : state.getMembers()) {
            out.put(nodeOf(m), unreachable.contains(m) ? "unreachable" : status(m.status()));
        }
        return out;
    }

    private static String status(MemberStatus s) {
        return s.toString().toLowerCase(java.util.Locale.ROOT);
    }

    private CompletionStage<Map<String, ActorRef<FleetAdmin.Command>>> admins() {
        return Asks.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(), r -> Receptionist.find(FleetAdmin.KEY, r),
                config.timeout(), system.scheduler()).thenApply(listing -> {
            Map<String, ActorRef<FleetAdmin.Command>> byNode = new java.util.TreeMap<>();
            for (ActorRef<FleetAdmin.Command> admin : listing.getServiceInstances(FleetAdmin.KEY)) {
                byNode.put(nodeOf(admin), admin);
            }
            return byNode;
        });
    }

    /** Asks each admin at once; an answer missing after the timeout is null. */
    private <T> CompletionStage<Map<String, T>> askAll(Map<String, ActorRef<FleetAdmin.Command>> admins,
                                                       Function<ActorRef<T>, FleetAdmin.Command> command) {
        Map<String, CompletableFuture<T>> asked = new LinkedHashMap<>();
        admins.forEach((node, admin) -> asked.put(node, Asks.<FleetAdmin.Command, T>ask(admin, command::apply, config.timeout(),
                system.scheduler()).toCompletableFuture().exceptionally(failure -> null)));
        return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<String, T> answers = new LinkedHashMap<>();
            asked.forEach((node, f) -> answers.put(node, f.join()));
            return answers;
        });
    }

    public CompletionStage<FleetStatusReply> status() {
        Map<String, String> members = membership();
        return admins().thenCompose(admins -> askAll(admins, FleetAdmin.Describe::new)).thenApply(answers -> {
            FleetStatusReply.Builder out = FleetStatusReply.newBuilder();
            Set<String> nodes = new java.util.TreeSet<>(members.keySet());
            nodes.addAll(answers.keySet());
            for (String node : nodes) {
                FleetNode answer = answers.get(node);
                String membership = members.getOrDefault(node, "removed");
                if (answer == null) {
                    out.addUnanswered(node);
                    out.addNodes(FleetNode.newBuilder().setNode(node).setMembership(membership));
                } else {
                    out.addNodes(answer.toBuilder().setNode(node).setMembership(membership));
                }
            }
            return out.build();
        });
    }

    public CompletionStage<FleetRuntimesReply> runtimes(String node) {
        return admins().thenCompose(admins -> askAll(only(admins, node), FleetAdmin.ListRuntimes::new)).thenApply(answers -> {
            FleetRuntimesReply.Builder out = FleetRuntimesReply.newBuilder();
            answers.forEach((n, r) -> {
                if (r == null) {
                    out.addUnanswered(n);
                } else {
                    out.addAllRuntimes(r.getRuntimesList());
                }
            });
            addSilentMembers(out::addUnanswered, answers.keySet(), node);
            return out.build();
        });
    }

    public CompletionStage<FleetActionReply> unmount(String node, String runtime) {
        return act(List.of(checkNode(node)), r -> new FleetAdmin.Unmount(runtime, r));
    }

    public CompletionStage<FleetActionReply> drain(String node, boolean drain) {
        return act(List.of(checkNode(node)), r -> new FleetAdmin.Drain(drain, r));
    }

    public CompletionStage<FleetActionReply> pull(List<String> refs, List<String> nodes) {
        nodes.forEach(this::checkNode);
        return act(nodes, r -> new FleetAdmin.Pull(refs, r));
    }

    private CompletionStage<FleetActionReply> act(List<String> nodes, Function<ActorRef<FleetOutcome>, FleetAdmin.Command> command) {
        return admins().thenCompose(admins -> {
            Map<String, ActorRef<FleetAdmin.Command>> chosen = new LinkedHashMap<>();
            List<String> absent = new ArrayList<>();
            if (nodes.isEmpty()) {
                chosen.putAll(admins);
            }
            for (String n : nodes) {
                if (admins.containsKey(n)) {
                    chosen.put(n, admins.get(n));
                } else {
                    absent.add(n);
                }
            }
            return askAll(chosen, command).thenApply(answers -> {
                FleetActionReply.Builder out = FleetActionReply.newBuilder().addAllUnanswered(absent);
                answers.forEach((n, o) -> {
                    if (o == null) {
                        out.addUnanswered(n);
                    } else {
                        out.addOutcomes(o);
                    }
                });
                if (nodes.isEmpty()) {
                    addSilentMembers(out::addUnanswered, answers.keySet(), "");
                }
                return out.build();
            });
        });
    }

    private static Map<String, ActorRef<FleetAdmin.Command>> only(Map<String, ActorRef<FleetAdmin.Command>> admins, String node) {
        if (node.isEmpty()) {
            return admins;
        }
        Map<String, ActorRef<FleetAdmin.Command>> one = new LinkedHashMap<>();
        if (admins.containsKey(node)) {
            one.put(node, admins.get(node));
        }
        return one;
    }

    /** Members with no admin actor registered (unreachable, or still starting) did not answer either. */
    private void addSilentMembers(java.util.function.Consumer<String> unanswered, Set<String> answered, String only) {
        for (String member : membership().keySet()) {
            if (!answered.contains(member) && (only.isEmpty() || only.equals(member))) {
                unanswered.accept(member);
            }
        }
    }

    /** A node argument: HOST:PORT of a member. */
    private String checkNode(String node) {
        if (node == null || !node.matches("[A-Za-z0-9.\\-]{1,253}:[0-9]{1,5}")) {
            throw new IllegalArgumentException("a node is HOST:PORT of its cluster address, not '" + dev.strata.actors.ControlRules.quote(
                    node == null ? "" : node) + "'");
        }
        if (!membership().containsKey(node)) {
            throw new IllegalArgumentException("no node " + node + " in the fleet; members: " + String.join(", ", membership().keySet()));
        }
        return node;
    }
}
