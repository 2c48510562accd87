package dev.strata.ops.sim;

import com.typesafe.config.Config;
import dev.strata.actors.ControlRules;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A load scenario, read from a HOCON file (see docs/sim.md): what the simulated agents stand on,
 * how many arrive and how, for how long, and the mix of personalities they follow.
 *
 * @param base   refs stacked under the generated tree (none: the tree alone)
 * @param tree   the generated layer every agent works on: a source tree and a compiler-like binary
 * @param think  the pause after each operation (varied by half either way)
 */
public record Scenario(String name, List<String> base, int agents, Arrival arrival, Duration duration, long seed, Duration think,
                       Tree tree, List<Mix> mix) {
    /** A scenario file larger than this is not a scenario. */
    static final long MAX_FILE_BYTES = 1 << 20;
    static final int MAX_AGENTS = 2000;

    /** How agents arrive: all at once, spread evenly over {@code over}, or {@code perSecond}. */
    public record Arrival(Mode mode, Duration over, double perSecond) {
        public enum Mode { AT_ONCE, RAMP, RATE }

        /** When agent {@code i} (from 0) arrives, from the start. */
        Duration offset(int i, int agents) {
            return switch (mode) {
                case AT_ONCE -> Duration.ZERO;
                case RAMP -> over.multipliedBy(i).dividedBy(Math.max(1, agents));
                case RATE -> Duration.ofNanos((long) (i * 1e9 / perSecond));
            };
        }

        String describe() {
            return switch (mode) {
                case AT_ONCE -> "at-once";
                case RAMP -> "ramp over " + over.toMillis() / 1000.0 + " s";
                case RATE -> perSecond + " per second";
            };
        }
    }

    /** The generated source tree: {@code dirs} directories of {@code filesPerDir} files of {@code fileBytes}. */
    public record Tree(int dirs, int filesPerDir, int fileBytes) {
        int files() {
            return dirs * filesPerDir;
        }
    }

    /** One personality of the mix, its weight, and its settings (checked against {@link Personality#settings} when read). */
    public record Mix(Personality personality, int weight, Config settings) {
        int integer(String key, int fallback) {
            return settings.hasPath(key) ? settings.getInt(key) : fallback;
        }

        int bytes(String key, int fallback) {
            return settings.hasPath(key) ? settings.getBytes(key).intValue() : fallback;
        }

        double fraction(String key, double fallback) {
            return settings.hasPath(key) ? settings.getDouble(key) : fallback;
        }

        boolean flag(String key, boolean fallback) {
            return settings.hasPath(key) ? settings.getBoolean(key) : fallback;
        }
    }

    public static Scenario read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("scenario " + file + " is larger than 1 MiB");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read scenario " + file + ": " + e.getMessage());
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false))
                    .resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("scenario " + file + ": " + e.getMessage());
        }
        String fallbackName = file.getFileName().toString().replaceFirst("\\.conf$", "");
        return parse(config, fallbackName);
    }

    static Scenario parse(Config c, String fallbackName) {
        try {
            String name = c.hasPath("name") ? c.getString("name") : fallbackName;
            List<String> base = c.hasPath("base") ? c.getStringList("base") : List.of();
            int agents = c.hasPath("agents") ? c.getInt("agents") : 1;
            if (agents < 1 || agents > MAX_AGENTS) {
                throw new IllegalArgumentException("agents must be 1 to " + MAX_AGENTS + ", not " + agents);
            }
            Duration duration = c.hasPath("duration") ? c.getDuration("duration") : Duration.ofSeconds(30);
            if (duration.toMillis() < 1000 || duration.compareTo(Duration.ofHours(24)) > 0) {
                throw new IllegalArgumentException("duration must be 1 s to 24 h, not " + duration);
            }
            long seed = c.hasPath("seed") ? c.getLong("seed") : 1;
            Duration think = c.hasPath("think") ? c.getDuration("think") : Duration.ofMillis(10);
            if (think.isNegative() || think.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("think must be 0 to 1 min, not " + think);
            }
            return new Scenario(name, base, agents, arrival(c), duration, seed, think, tree(c), mix(c));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static Arrival arrival(Config c) {
        if (!c.hasPath("arrival")) {
            return new Arrival(Arrival.Mode.AT_ONCE, Duration.ZERO, 0);
        }
        Config a = c.getConfig("arrival");
        String mode = a.hasPath("mode") ? a.getString("mode") : "at-once";
        return switch (mode) {
            case "at-once" -> new Arrival(Arrival.Mode.AT_ONCE, Duration.ZERO, 0);
            case "ramp" -> {
                Duration over = a.getDuration("over");
                if (over.isNegative()) {
                    throw new IllegalArgumentException("arrival.over must not be negative");
                }
                yield new Arrival(Arrival.Mode.RAMP, over, 0);
            }
            case "rate" -> {
                double perSecond = a.getDouble("per-second");
                if (!(perSecond > 0 && perSecond <= 10_000)) {
                    throw new IllegalArgumentException("arrival.per-second must be above 0 and at most 10000, not " + perSecond);
                }
                yield new Arrival(Arrival.Mode.RATE, Duration.ZERO, perSecond);
            }
            default -> throw new IllegalArgumentException("arrival.mode must be at-once, ramp or rate, not '" + ControlRules.quote(mode) + "'");
        };
    }

    private static Tree tree(Config c) {
        Config t = c.hasPath("tree") ? c.getConfig("tree") : ConfigFactory.empty();
        int dirs = t.hasPath("dirs") ? t.getInt("dirs") : 10;
        int files = t.hasPath("files-per-dir") ? t.getInt("files-per-dir") : 20;
        long size = t.hasPath("file-size") ? t.getBytes("file-size") : 4096;
        if (dirs < 1 || dirs > 10_000 || files < 1 || files > 10_000 || (long) dirs * files > 1_000_000) {
            throw new IllegalArgumentException("tree: 1 to 10000 dirs of 1 to 10000 files, at most a million files");
        }
        if (size < 0 || size > 64L << 20) {
            throw new IllegalArgumentException("tree.file-size must be 0 to 64 MiB");
        }
        return new Tree(dirs, files, (int) size);
    }

    private static List<Mix> mix(Config c) {
        if (!c.hasPath("mix")) {
            throw new IllegalArgumentException("a scenario needs a mix of personalities (build, agent, exec, churn)");
        }
        List<Mix> mix = new ArrayList<>();
        for (Config m : c.getConfigList("mix")) {
            String name = m.getString("personality");
            Personality personality;
            try {
                personality = Personality.valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown personality '" + ControlRules.quote(name) + "' (build, agent, exec or churn)");
            }
            int weight = m.hasPath("weight") ? m.getInt("weight") : 1;
            if (weight < 1 || weight > 1000) {
                throw new IllegalArgumentException("the weight of " + name + " must be 1 to 1000, not " + weight);
            }
            checkSettings(name, personality, m);
            mix.add(new Mix(personality, weight, m));
        }
        if (mix.isEmpty()) {
            throw new IllegalArgumentException("the mix is empty");
        }
        return List.copyOf(mix);
    }

    /** Every setting of a personality is one it knows, of the type and range it takes: a typo fails here, not in 200 agents. */
    private static void checkSettings(String name, Personality personality, Config m) {
        for (String key : m.root().keySet()) {
            if (key.equals("personality") || key.equals("weight")) {
                continue;
            }
            Personality.Setting setting = personality.settings().get(key);
            if (setting == null) {
                throw new IllegalArgumentException(name + " has no setting '" + ControlRules.quote(key) + "' (it takes: "
                        + String.join(", ", personality.settings().keySet()) + ")");
            }
            double value = switch (setting) {
                case FLAG -> m.getBoolean(key) ? 1 : 0;
                case COUNT -> m.getInt(key);
                case BYTES -> m.getBytes(key);
                case CHANCE -> m.getDouble(key);
            };
            if (value < 0 || setting == Personality.Setting.CHANCE && value > 1 || setting == Personality.Setting.COUNT && value > 100_000
                    || setting == Personality.Setting.BYTES && value > 1L << 30) {
                throw new IllegalArgumentException(name + "." + key + " is out of range: " + value);
            }
        }
    }

    /** The same scenario with some settings given on the command line instead. */
    public Scenario with(Integer agents, Duration duration, Long seed) {
        return new Scenario(name, base, agents == null ? this.agents : agents, arrival, duration == null ? this.duration : duration,
                seed == null ? this.seed : seed, think, tree, mix);
    }

    /** Agent {@code i}'s personality: a weighted draw, the same for the same seed. */
    Mix personalityOf(int i) {
        int total = mix.stream().mapToInt(Mix::weight).sum();
        int pick = new java.util.SplittableRandom(seed * 1_000_003 + i).nextInt(total);
        for (Mix m : mix) {
            pick -= m.weight();
            if (pick < 0) {
                return m;
            }
        }
        return mix.get(mix.size() - 1);
    }

}
