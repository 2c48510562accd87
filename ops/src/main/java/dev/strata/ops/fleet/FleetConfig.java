package dev.strata.ops.fleet;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code strata.cluster} of the configuration files (the system's, then the home's):
 * <pre>
 * strata.cluster {
 *   enabled = false                     # off: the daemon is in no cluster and behaves as without this block
 *   host = "127.0.0.1", port = 25520    # this daemon's cluster address
 *   seed-nodes = ["10.0.0.1:25520", ...]
 *   role = "strata"
 *   admin-group = 0                     # gid whose members may run strata fleet (root always may)
 *   timeout = 5s                        # how long a fleet command waits for the nodes
 *   stable-after = 7s                   # the split brain resolver's wait before it downs (keep-majority)
 *   pull-remote = "origin"              # the remote fleet pull takes refs from
 *   tls { key-store = "/etc/strata/node.p12", trust-store = "/etc/strata/fleet-ca.p12", password-env = "STRATA_FLEET_TLS_PASSWORD" }
 * }
 * </pre>
 */
public record FleetConfig(String host, int port, List<String> seedNodes, String role, int adminGroup, Duration timeout, Duration stableAfter,
                          String pullRemote, Path keyStore, Path trustStore, String tlsPassword) {
    public static final String SYSTEM_NAME = "strata";

    /** The cluster settings of {@code files}, or null when the cluster is not enabled. */
    public static FleetConfig load(List<Path> files, Map<String, String> env) {
        Config merged = ConfigFactory.empty();
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                try {
                    merged = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)).withFallback(merged);
                } catch (ConfigException e) {
                    throw new IllegalArgumentException("the configuration " + file + " is malformed: " + e.getMessage());
                }
            }
        }
        if (!merged.hasPath("strata.cluster") || !merged.getConfig("strata.cluster").hasPath("enabled")
                || !merged.getBoolean("strata.cluster.enabled")) {
            return null;
        }
        Config c = merged.getConfig("strata.cluster");
        try {
            String host = c.hasPath("host") ? c.getString("host") : "127.0.0.1";
            int port = c.hasPath("port") ? c.getInt("port") : 25520;
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("strata.cluster.port must be 1 to 65535, not " + port);
            }
            List<String> seeds = c.hasPath("seed-nodes") ? c.getStringList("seed-nodes") : List.of(host + ":" + port);
            for (String seed : seeds) {
                if (!seed.matches("[A-Za-z0-9.\\-]+:[0-9]{1,5}")) {
                    throw new IllegalArgumentException("a seed node is HOST:PORT, not '" + seed + "'");
                }
            }
            Path keyStore = c.hasPath("tls.key-store") ? Path.of(c.getString("tls.key-store")) : null;
            Path trustStore = c.hasPath("tls.trust-store") ? Path.of(c.getString("tls.trust-store")) : null;
            String password = null;
            if (keyStore != null || trustStore != null) {
                if (keyStore == null || trustStore == null) {
                    throw new IllegalArgumentException("strata.cluster.tls needs both key-store and trust-store");
                }
                String variable = c.hasPath("tls.password-env") ? c.getString("tls.password-env") : "STRATA_FLEET_TLS_PASSWORD";
                password = env.get(variable);
                if (password == null) {
                    throw new IllegalArgumentException("strata.cluster.tls: the environment variable " + variable + " (the stores' password) is not set");
                }
            }
            return new FleetConfig(host, port, List.copyOf(seeds), c.hasPath("role") ? c.getString("role") : "strata",
                    c.hasPath("admin-group") ? c.getInt("admin-group") : 0,
                    c.hasPath("timeout") ? c.getDuration("timeout") : Duration.ofSeconds(5),
                    c.hasPath("stable-after") ? c.getDuration("stable-after") : Duration.ofSeconds(7),
                    c.hasPath("pull-remote") ? c.getString("pull-remote") : null, keyStore, trustStore, password);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("strata.cluster is malformed: " + e.getMessage());
        }
    }

    /** This daemon's address as fleet commands name nodes. */
    public String node() {
        return host + ":" + port;
    }

    /** The Pekko settings that make the daemon's actor system a cluster node (over this config's fallback). */
    public Config pekko() {
        List<String> seeds = new ArrayList<>();
        for (String s : seedNodes) {
            seeds.add("pekko://" + SYSTEM_NAME + "@" + s);
        }
        Config c = ConfigFactory.parseString(String.join("\n",
                        "pekko.actor.provider = cluster",
                        "pekko.actor.allow-java-serialization = off",
                        "pekko.actor.serializers.strata-fleet = \"dev.strata.ops.fleet.FleetSerializer\"",
                        "pekko.actor.serialization-bindings { \"dev.strata.ops.fleet.FleetAdmin$Command\" = strata-fleet,"
                                + " \"dev.strata.protocol.FleetNode\" = strata-fleet, \"dev.strata.protocol.FleetRuntimes\" = strata-fleet,"
                                + " \"dev.strata.protocol.FleetOutcome\" = strata-fleet }",
                        "pekko.cluster.downing-provider-class = \"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
                        "pekko.cluster.split-brain-resolver.active-strategy = keep-majority",
                        "pekko.cluster.jmx.enabled = off",
                        "pekko.cluster.log-info-verbose = off",
                        "pekko.remote.artery.advanced.maximum-frame-size = 4MiB"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of(role)))
                .withValue("pekko.cluster.split-brain-resolver.stable-after", ConfigValueFactory.fromAnyRef(stableAfter.toMillis() + "ms"));
        if (keyStore != null) {
            String p = "pekko.remote.artery.ssl.config-ssl-engine.";
            c = c.withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
                    .withValue(p + "key-store", ConfigValueFactory.fromAnyRef(keyStore.toString()))
                    .withValue(p + "trust-store", ConfigValueFactory.fromAnyRef(trustStore.toString()))
                    .withValue(p + "key-store-password", ConfigValueFactory.fromAnyRef(tlsPassword))
                    .withValue(p + "key-password", ConfigValueFactory.fromAnyRef(tlsPassword))
                    .withValue(p + "trust-store-password", ConfigValueFactory.fromAnyRef(tlsPassword))
                    .withValue(p + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
                    .withValue(p + "enabled-algorithms", ConfigValueFactory.fromIterable(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256")))
                    .withValue(p + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true));
        }
        return c;
    }
}
