package dev.strata.ops.sim;

import dev.strata.engine.View;
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.DaemonAddress;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryException;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.MetricsRequest;
import dev.strata.protocol.StatusRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code strata sim}: prepares the layer a scenario's agents work on, runs them against the daemon
 * (measuring the daemon too) and, for the baseline, against a plain directory, removes everything the
 * run made, and writes the JSON summary and the HTML report.
 */
public final class Simulator {
    /** Where the report goes, and whether the native baseline runs too. */
    public record Options(Scenario scenario, Path out, boolean nativeBaseline) {
    }

    private final StrataHome home;
    private final PrintStream err;
    private final me.tongfei.progressbar.ProgressBarConsumer bar;
    /** Set to end the run early (Ctrl-C): agents end what they started and the report says so. */
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile boolean interrupted;

    public Simulator(StrataHome home, PrintStream err, me.tongfei.progressbar.ProgressBarConsumer bar) {
        this.home = home;
        this.err = err;
        this.bar = bar;
    }

    /** Ends the run early; {@link #run} still cleans up and writes a report marked interrupted. */
    public void stop() {
        interrupted = true;
        stop.set(true);
    }

    /** Runs {@code options.scenario()} and returns the path of the JSON summary (the HTML report is beside it). */
    public Path run(Options options) throws IOException {
        Scenario scenario = options.scenario();
        DaemonAddress daemon = DaemonAddress.find(home).orElseThrow(() -> new RepositoryException(
                "no strata daemon is running for STRATA_HOME=" + home.root() + "; start one with: strata service start"));
        Path out = options.out();
        Files.createDirectories(out);
        Path work = Files.createTempDirectory(out, "work-");
        Path log = out.resolve("workers.log");
        Path objects = out.resolve("objects");
        Path built = System.getenv("STRATA_SIM_BIN") != null ? Path.of(System.getenv("STRATA_SIM_BIN")) : builtDirectory();
        Path worker = built.resolve("strata-sim-worker");
        Path frontEnd = built.resolve("strata-run");
        for (Path p : List.of(worker, frontEnd)) {
            if (!Files.isExecutable(p)) {
                throw new RepositoryException("the simulator needs " + p + " (built with the rest by mvn install; "
                        + "STRATA_SIM_BIN names the directory that holds it when the jar runs from elsewhere)");
            }
        }
        // the prefix of everything the run makes: the time, and this process, so that runs started together differ
        String runId = "sim-" + Long.toString(System.currentTimeMillis() / 1000 % 46_656_000L, 36)
                + Long.toString(ProcessHandle.current().pid() % 1296, 36);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("schema", "strata-sim/1");
        report.put("scenario", describe(scenario));
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("id", runId);
        run.put("started_at", Instant.now().toString());
        run.put("cpus", Runtime.getRuntime().availableProcessors());
        report.put("run", run);
        List<String> incidents = new ArrayList<>();
        List<String> leftovers = new ArrayList<>();
        try {
            Files.createDirectories(objects);
            String spec = prepareLayer(scenario, work.resolve("tree"), worker);
            err.println("strata sim: " + scenario.name() + ", " + scenario.agents() + " agents for " + scenario.duration().toSeconds()
                    + " s over " + spec + "; report in " + out);
            Map<String, String> env = Map.of("STRATA_HOME", home.root().toString(), "STRATA_SOCKET", daemon.socket().toString());
            try (Target.Strata strata = new Target.Strata(daemon.mountpoint(), frontEnd, worker, spec, env, daemon.socket(), log)) {
                Map<String, Object> daemonReport = new LinkedHashMap<>();
                daemonReport.put("pid", daemon.pid());
                if (scenario.mix().stream().anyMatch(m -> m.personality() == Personality.AGENT)) {
                    seed(strata, runId);
                }
                String before = scrape(strata, daemonReport);
                long started = System.nanoTime();
                Map<String, Object> measured;
                try (DaemonSampler sampler = new DaemonSampler(daemon.pid(), started, () -> stop.set(true))) {
                    Simulation simulation = new Simulation(scenario, strata, runId, stop, err, bar);
                    measured = simulation.run();
                    incidents.addAll(simulation.incidents);
                    daemonReport.put("samples", sampler.samples());
                    if (sampler.problem() != null) {
                        daemonReport.put("problem", sampler.problem());
                        incidents.add(sampler.problem());
                    }
                }
                report.put("strata", measured);
                String after = scrape(strata, daemonReport);
                if (before != null && after != null) {
                    Map<String, Double> grown = DaemonSampler.grown(DaemonSampler.counters(before), DaemonSampler.counters(after));
                    daemonReport.put("metrics", grown);
                    daemonReport.put("opcodes", perOpcode(grown, "strata_fuse_requests_total"));
                    daemonReport.put("answer_mean_us", meanAnswer(grown));
                }
                strata.killAll();
                leftovers.addAll(strata.removeLeftovers());
                leftovers.addAll(strata.runtimesLeft(runId).stream().map(n -> "runtime " + n).toList());
                daemonReport.put("alive_at_end", alive(strata));
                report.put("daemon", daemonReport);
            }
            if (options.nativeBaseline() && !stop.get()) { // not after Ctrl-C, nor when the daemon died
                Path rendered = work.resolve("native");
                Repository repo = home.repository();
                new Renderer(repo).render(View.of(repo.manifests(EnvSpec.parse(spec)), repo.blobs()).manifest(), rendered, Renderer.Mode.COPY);
                openUp(rendered);
                try (Target.Native baseline = new Target.Native(rendered, worker, log)) {
                    Simulation simulation = new Simulation(scenario, baseline, runId, stop, err, bar);
                    report.put("native", simulation.run());
                    incidents.addAll(simulation.incidents);
                }
                report.put("ratios", ratios(report));
                Map<String, Object> baseline = new LinkedHashMap<>();
                baseline.put("same_file_system_as_scratch", Files.getFileStore(work).equals(Files.getFileStore(home.root())));
                report.put("baseline", baseline);
            }
        } finally {
            deleteTree(work);
            deleteTree(objects);
            run.put("interrupted", interrupted);
            report.put("incidents", incidents);
            report.put("leftovers", leftovers);
            Path json = out.resolve("sim-report.json");
            Files.writeString(json, new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(report));
            Files.writeString(out.resolve("sim-report.html"), SimReport.html(report));
        }
        return out.resolve("sim-report.json");
    }

    /** The generated tree, imported and tagged; the spec is the scenario's base under it. */
    private String prepareLayer(Scenario scenario, Path tree, Path worker) throws IOException {
        Simulation.generateTree(scenario.tree(), tree, worker);
        String tag = "sim/" + scenario.name().replaceAll("[^A-Za-z0-9._-]", "_");
        new Importer(home.repository()).importDirectory(tree, tag, Map.of("strata.message", "strata sim: the generated tree"),
                new Importer.Listener() { });
        List<String> refs = new ArrayList<>(scenario.base());
        refs.add(tag);
        return String.join("+", refs);
    }

    /** The snapshot every agent branches from: an editable runtime with one note, captured, then ended. */
    private static void seed(Target.Strata strata, String runId) throws IOException {
        String name = runId + "-seed";
        try {
            Worker tree = strata.startTree(name, true);
            try {
                tree.perform("write notes/seed 64");
                strata.call(c -> c.createSnapshot(CreateSnapshotRequest.newBuilder().setRuntime(name).setName(name).build()));
                strata.snapshots.add(name);
                strata.seedSnapshot = name;
            } finally {
                tree.end();
                strata.ended(tree);
            }
        } catch (Exception e) {
            throw new IOException("cannot make the snapshot the agents branch from: " + SimFailure.describe(e));
        }
    }

    /** The daemon's meters (root may read them); null, and a note in the report, otherwise. */
    private static String scrape(Target.Strata strata, Map<String, Object> daemonReport) {
        try {
            return strata.call(c -> c.metrics(MetricsRequest.getDefaultInstance())).getText();
        } catch (Exception e) {
            daemonReport.put("metrics_problem", SimFailure.describe(e));
            return null;
        }
    }

    private static boolean alive(Target.Strata strata) {
        try {
            strata.call(c -> c.status(StatusRequest.getDefaultInstance()));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The series of {@code name} by their opcode label, summed. */
    private static Map<String, Long> perOpcode(Map<String, Double> grown, String name) {
        Map<String, Long> out = new java.util.TreeMap<>();
        grown.forEach((series, v) -> {
            if (series.startsWith(name + "{")) {
                out.merge(label(series, "opcode"), Math.round(v), Long::sum);
            }
        });
        return out;
    }

    /** The daemon's mean answer time per opcode over the run, from its histogram's sum and count. */
    private static Map<String, Double> meanAnswer(Map<String, Double> grown) {
        Map<String, Double> out = new java.util.TreeMap<>();
        grown.forEach((series, count) -> {
            if (series.startsWith("strata_fuse_answer_seconds_count{")) {
                Double sum = grown.get(series.replace("_count{", "_sum{"));
                if (sum != null && count > 0) {
                    out.put(label(series, "opcode"), Measurements.round(sum / count * 1e6));
                }
            }
        });
        return out;
    }

    private static String label(String series, String label) {
        int at = series.indexOf(label + "=\"");
        if (at < 0) {
            return "?";
        }
        int from = at + label.length() + 2;
        return series.substring(from, series.indexOf('"', from));
    }

    /** Strata's figures over the baseline's, per operation both measured: latency (higher is slower) and throughput. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> ratios(Map<String, Object> report) {
        Map<String, Object> strata = (Map<String, Object>) ((Map<String, Object>) report.get("strata")).get("operations");
        Map<String, Object> baseline = (Map<String, Object>) ((Map<String, Object>) report.get("native")).get("operations");
        Map<String, Object> out = new java.util.TreeMap<>();
        strata.forEach((kind, s) -> {
            Map<String, Object> n = (Map<String, Object>) baseline.get(kind);
            if (n == null) {
                return;
            }
            Map<String, Object> ratio = new LinkedHashMap<>();
            for (String figure : List.of("p50_us", "p99_us", "ops_per_s")) {
                Object a = ((Map<String, Object>) s).get(figure);
                Object b = n.get(figure);
                if (a instanceof Number x && b instanceof Number y && y.doubleValue() > 0) {
                    ratio.put(figure.replace("_us", ""), Math.round(x.doubleValue() / y.doubleValue() * 100) / 100.0);
                }
            }
            out.put(kind, ratio);
        });
        return out;
    }

    private static Map<String, Object> describe(Scenario s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", s.name());
        d.put("base", s.base());
        d.put("agents", s.agents());
        d.put("arrival", s.arrival().describe());
        d.put("duration_s", s.duration().toMillis() / 1000.0);
        d.put("seed", s.seed());
        d.put("think_ms", s.think().toNanos() / 1e6);
        d.put("tree", Map.of("dirs", s.tree().dirs(), "files_per_dir", s.tree().filesPerDir(), "file_bytes", s.tree().fileBytes()));
        List<Map<String, Object>> mix = new ArrayList<>();
        for (Scenario.Mix m : s.mix()) {
            mix.add(Map.of("personality", m.personality().name().toLowerCase(java.util.Locale.ROOT), "weight", m.weight()));
        }
        d.put("mix", mix);
        return d;
    }

    /** The rendered baseline is everyone's to write, as the view's shared directories are. */
    private static void openUp(Path rendered) throws IOException {
        for (String shared : List.of("notes", "out")) {
            if (Files.isDirectory(rendered.resolve(shared))) {
                Files.setPosixFilePermissions(rendered.resolve(shared), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            }
        }
    }

    /** Where the native front end and the worker are built: beside this build's jar (or its classes directory). */
    private static Path builtDirectory() {
        try {
            return Path.of(Simulator.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes a tree of this run; one a dying tree still holds is left for the next clean, named in the log. */
    private void deleteTree(Path dir) {
        try {
            Renderer.deleteTree(dir);
        } catch (java.io.UncheckedIOException e) {
            err.println("strata sim: " + e.getMessage());
        }
    }
}
