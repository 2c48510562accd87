package dev.strata.ops.remote;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import dev.strata.persistence.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The remotes of the configuration: {@code strata.remotes.NAME { url = ..., ... }} in the system file
 * and in the home's {@code strata.conf} (the home's win by name). {@code remote add} and
 * {@code remote remove} rewrite the home's file, keeping its comments, readable by its owner only
 * (a remote may hold a secret key).
 */
public final class RemoteConfig {
    private RemoteConfig() {
    }

    /** Every configured remote by name, from {@code files} (lowest precedence first). */
    public static Map<String, Remote> load(List<Path> files) {
        Map<String, Remote> remotes = new TreeMap<>();
        for (Path file : files) {
            Config config = parse(file);
            if (!config.hasPath("strata.remotes")) {
                continue;
            }
            ConfigObject all;
            try {
                all = config.getObject("strata.remotes");
            } catch (ConfigException e) {
                throw new IllegalArgumentException("strata.remotes in " + file + " must be an object of remotes: " + e.getMessage());
            }
            for (String name : all.keySet()) {
                try {
                    Config r = all.toConfig().getConfig(ConfigUtil.quoteString(name));
                    remotes.put(name, new Remote(name, r.getString("url"), opt(r, "endpoint"), opt(r, "region"), opt(r, "access-key"),
                            opt(r, "secret-key"), opt(r, "token"), opt(r, "ca"), file.toString()));
                } catch (ConfigException e) {
                    throw new IllegalArgumentException("remote '" + Remote.shorten(name) + "' in " + file + " is malformed: " + e.getMessage());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("remote '" + Remote.shorten(name) + "' in " + file + ": " + e.getMessage());
                }
            }
        }
        return remotes;
    }

    private static String opt(Config c, String key) {
        return c.hasPath(key) ? c.getString(key) : null;
    }

    private static Config parse(Path file) {
        if (!Files.isRegularFile(file)) {
            return ConfigFactory.empty();
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("the configuration " + file + " is malformed: " + e.getMessage());
        }
    }

    /** Adds (or replaces) {@code remote} in {@code file}. */
    public static void add(Path file, Remote remote) {
        Config config = parse(file);
        write(file, config.withValue("strata.remotes." + ConfigUtil.quoteString(remote.name()), ConfigValueFactory.fromMap(remote.settings())));
    }

    /** Removes remote {@code name} from {@code file}; false when the file has no such remote. */
    public static boolean remove(Path file, String name) {
        Remote.checkName(name);
        Config config = parse(file);
        String path = "strata.remotes." + ConfigUtil.quoteString(name);
        if (!config.hasPath(path)) {
            return false;
        }
        write(file, config.withoutPath(path));
        return true;
    }

    private static void write(Path file, Config config) {
        String text = config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(true).setJson(false));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".strata.conf", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } finally {
                AtomicFiles.deleteQuietly(tmp);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing " + file + " failed: " + e.getMessage(), e);
        }
    }
}
