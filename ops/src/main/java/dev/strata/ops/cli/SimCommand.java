package dev.strata.ops.cli;

import dev.strata.ops.sim.Scenario;
import dev.strata.ops.sim.SimCompare;
import dev.strata.ops.sim.Simulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "sim", description = {"Run a load scenario (a HOCON file, see docs/sim.md) against the running daemon: simulated agents, "
        + "each its own process tree, measured per operation; writes sim-report.json and sim-report.html.",
        "Scenarios shipped: sim/smoke.conf, sim/ci-farm.conf, sim/agents-200.conf, sim/exec-storm.conf."},
        subcommands = SimCommand.Compare.class)
final class SimCommand implements Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "The scenario file.")
    Path scenarioFile;

    @Option(names = "--baseline", paramLabel = "native", description = "Also run the scenario's file operations on a plain directory: "
            + "native (the only baseline).")
    String baseline;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Where the report goes (default: sim-results/NAME-TIME).")
    Path out;

    @Option(names = "--agents", paramLabel = "N", description = "Instead of the scenario's number of agents.")
    Integer agents;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Instead of the scenario's duration.")
    Integer seconds;

    @Option(names = "--seed", paramLabel = "N", description = "Instead of the scenario's seed.")
    Long seed;

    @Override
    public Integer call() throws IOException {
        if (scenarioFile == null) {
            throw new UsageException("sim needs a SCENARIO file (or: strata sim compare OLD.json NEW.json)");
        }
        if (baseline != null && !baseline.equals("native")) {
            throw new UsageException("--baseline takes native, not '" + dev.strata.actors.ControlRules.quote(baseline) + "'");
        }
        if (agents != null && (agents < 1 || agents > 2000) || seconds != null && (seconds < 1 || seconds > 86_400)) {
            throw new UsageException("--agents takes 1 to 2000 and --duration 1 to 86400 seconds");
        }
        Scenario scenario = Scenario.read(scenarioFile).with(agents, seconds == null ? null : Duration.ofSeconds(seconds), seed);
        Path dir = out != null ? out : Path.of("sim-results", scenario.name().replaceAll("[^A-Za-z0-9._-]", "_") + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Simulator simulator = new Simulator(strata.home(), strata.err, strata.interactive() ? strata.progressConsumer() : null);
        // Ctrl-C ends the run, not the process: agents end their trees and the report is written, marked interrupted
        CountDownLatch reported = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            simulator.stop();
            try {
                reported.await(150, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "strata-sim-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        Path json;
        try {
            json = simulator.run(new Simulator.Options(scenario, dir, "native".equals(baseline)));
        } finally {
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and has just been released
            }
        }
        strata.err.println("strata sim: report " + json + " and " + json.resolveSibling("sim-report.html"));
        strata.out.println(json);
        return 0;
    }

    @Command(name = "compare", description = "Compare two runs' sim-report.json: exit 1 when a p99 grew or a throughput fell past the threshold.")
    static final class Compare implements Callable<Integer> {
        @ParentCommand
        SimCommand sim;

        @Parameters(index = "0", paramLabel = "OLD")
        Path older;

        @Parameters(index = "1", paramLabel = "NEW")
        Path newer;

        @Option(names = "--threshold", paramLabel = "PCT", defaultValue = "50",
                description = "How much worse a figure may be before it counts as a regression, in percent (default ${DEFAULT-VALUE}).")
        double threshold;

        @Override
        public Integer call() {
            if (!(threshold >= 0 && threshold <= 10_000)) {
                throw new UsageException("--threshold takes 0 to 10000 percent");
            }
            try {
                return SimCompare.compare(older, newer, threshold, sim.strata.out) ? 0 : 1;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read a report: " + e.getMessage(), e);
            }
        }
    }
}
