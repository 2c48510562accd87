package dev.strata.ops;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strata's settings and where each came from, lowest precedence first: built-in defaults,
 * {@code /etc/strata/strata.conf} (HOCON; {@code $STRATA_SYSTEM_CONFIG} names another file), then
 * {@code $STRATA_HOME/strata.conf}, then the environment ({@code STRATA_HOME}, {@code STRATA_MOUNTPOINT},
 * ...); a command's flags override them all. The system file is how the system service and every
 * user's CLI agree where the daemon is, with nobody exporting {@code STRATA_HOME}.
 */
public final class StrataConfig {
    /** A setting's value and its source: "default", a file's path, "env NAME", or "flag". */
    public record Value(String value, String source) {
    }

    /**
     * Readers the FUSE device keeps waiting: one answers fastest, and the bridge adds readers while
     * one is held by a slow answer (see FuseSession), so spares cost more than they save here.
     */
    public static final int DEFAULT_READERS = 1;

    /** The keys, under {@code strata.} in the files, and their environment variables. */
    public static final Map<String, String> KEYS = keys();

    private final Map<String, Value> values;
    private final Path systemFile;

    private StrataConfig(Map<String, Value> values, Path systemFile) {
        this.values = values;
        this.systemFile = systemFile;
    }

    private static Map<String, String> keys() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("home", "STRATA_HOME");
        keys.put("mountpoint", "STRATA_MOUNTPOINT");
        keys.put("socket", "STRATA_SOCKET");
        keys.put("readers", "STRATA_READERS");
        keys.put("passthrough", "STRATA_PASSTHROUGH");
        keys.put("log-level", "STRATA_LOG_LEVEL");
        keys.put("read-through", "STRATA_READ_THROUGH");
        keys.put("metrics-listen", "STRATA_METRICS_LISTEN");
        return keys;
    }

    public static StrataConfig load(Map<String, String> env) {
        Map<String, Value> v = new LinkedHashMap<>();
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        v.put("home", new Value(Path.of(userHome, ".local", "share", "strata").toString(), "default"));
        v.put("mountpoint", new Value("/strata", "default"));
        v.put("readers", new Value(Integer.toString(DEFAULT_READERS), "default"));
        v.put("passthrough", new Value("true", "default"));
        v.put("log-level", new Value("WARN", "default"));
        v.put("read-through", new Value("", "default"));
        v.put("metrics-listen", new Value("", "default"));
        Path system = Path.of(env.getOrDefault("STRATA_SYSTEM_CONFIG", "/etc/strata/strata.conf"));
        apply(v, system, List.of("home", "mountpoint", "socket", "readers", "passthrough", "log-level", "read-through", "metrics-listen"));
        fromEnv(v, env, "home");
        // the home's own file may set anything but where the home is
        apply(v, Path.of(v.get("home").value()).resolve("strata.conf"), List.of("mountpoint", "socket", "readers", "passthrough", "log-level", "read-through", "metrics-listen"));
        for (String key : KEYS.keySet()) {
            if (!key.equals("home")) {
                fromEnv(v, env, key);
            }
        }
        if (!v.containsKey("socket")) {
            v.put("socket", new Value(new StrataHome(Path.of(v.get("home").value())).socketPath().toString(), "default (in the home)"));
        }
        Map<String, Value> ordered = new LinkedHashMap<>();
        KEYS.keySet().forEach(k -> ordered.put(k, v.get(k)));
        return new StrataConfig(ordered, system);
    }

    private static void apply(Map<String, Value> v, Path file, List<String> allowed) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("the configuration " + file + " is malformed: " + e.getMessage());
        }
        for (String key : allowed) {
            if (config.hasPath("strata." + key)) {
                v.put(key, new Value(config.getValue("strata." + key).unwrapped().toString(), file.toString()));
            }
        }
    }

    private static void fromEnv(Map<String, Value> v, Map<String, String> env, String key) {
        String value = env.get(KEYS.get(key));
        if (value != null && !value.isBlank()) {
            v.put(key, new Value(value, "env " + KEYS.get(key)));
        }
    }

    public Map<String, Value> values() {
        return values;
    }

    public String get(String key) {
        return values.get(key).value();
    }

    public StrataHome home() {
        return new StrataHome(Path.of(get("home")).toAbsolutePath());
    }

    public Path mountpoint() {
        return Path.of(get("mountpoint"));
    }

    public Path socket() {
        return Path.of(get("socket")).toAbsolutePath();
    }

    /** The files settings come from, lowest precedence first: the system's, then the home's. */
    public List<Path> files() {
        return List.of(systemFile, homeFile());
    }

    /** The home's own file, which {@code strata remote add} writes. */
    public Path homeFile() {
        return home().root().resolve("strata.conf");
    }

    /** The configured remotes by name (the home's file wins over the system's). */
    public Map<String, dev.strata.ops.remote.Remote> remotes() {
        return dev.strata.ops.remote.RemoteConfig.load(files());
    }

    public int readers() {
        try {
            return Integer.parseInt(get("readers"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("readers must be a number, not '" + get("readers") + "' (" + values.get("readers").source() + ")");
        }
    }

    public boolean passthrough() {
        return Boolean.parseBoolean(get("passthrough"));
    }
}
