package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load simulator against a real daemon: the shipped smoke scenario measures every kind of
 * operation without an error, next to the native baseline and the daemon's own counts; its HTML
 * report renders every chart in a real browser; compare passes two runs of one build and fails a
 * deliberately slowed daemon; a run that is interrupted, or whose workers or daemon die, leaves
 * nothing running and says so.
 */
class SimTest {
    private static final Path SCENARIOS = Path.of("../sim").toAbsolutePath().normalize();
    private static final Path BUILT = Path.of("../ops/target").toAbsolutePath().normalize();
    private static final Path RESULTS = Path.of("target/sim").toAbsolutePath();
    private static final List<String> EVERY_KIND = List.of("walk", "stat", "read", "write", "append", "mkdir", "exec", "runtime.start",
            "runtime.end", "runtime.exec", "branch.create", "branch.bind", "branch.delete", "snapshot.create", "snapshot.delete");

    private static StrataProcess sim(DaemonFixture daemon) {
        return daemon.strata.withEnv("STRATA_SIM_BIN", BUILT.toString());
    }

    private static JsonObject report(Path dir) throws Exception {
        return JsonParser.parseString(Files.readString(dir.resolve("sim-report.json"))).getAsJsonObject();
    }

    private static long count(JsonObject report, String target, String kind) {
        JsonObject ops = report.getAsJsonObject(target).getAsJsonObject("operations");
        return ops.has(kind) ? ops.getAsJsonObject(kind).get("count").getAsLong() : 0;
    }

    private static long opcode(JsonObject report, String name) {
        JsonObject opcodes = report.getAsJsonObject("daemon").getAsJsonObject("opcodes");
        return opcodes.has(name) ? opcodes.get(name).getAsLong() : 0;
    }

    /** Processes of the simulator still running (workers, front ends), by their command lines. */
    private static List<String> simProcesses() {
        return ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("strata-sim-worker") || c.contains("/strata-run ")).toList();
    }

    @AfterEach
    void noSimProcessLeft() {
        List<String> left = simProcesses();
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("strata-sim-worker"))
                .forEach(ProcessHandle::destroyForcibly);
        assertEquals(List.of(), left, "processes of the simulation outlived it");
    }

    @Test
    void theSmokeScenarioMeasuresEveryOperationAndItsReportRendersInABrowser() throws Exception {
        Path out = RESULTS.resolve("smoke");
        dev.strata.persistence.Renderer.deleteTree(out);
        try (DaemonFixture daemon = new DaemonFixture()) {
            StrataProcess.Outcome run = sim(daemon).run("sim", SCENARIOS.resolve("smoke.conf").toString(), "--baseline", "native",
                    "-o", out.toString());
            assertEquals(0, run.exit(), run.err());
            JsonObject r = report(out);
            assertEquals("strata-sim/1", r.get("schema").getAsString());
            for (String kind : EVERY_KIND) {
                assertTrue(count(r, "strata", kind) > 0, kind + " was measured: " + r.getAsJsonObject("strata").get("operations"));
                JsonObject op = r.getAsJsonObject("strata").getAsJsonObject("operations").getAsJsonObject(kind);
                assertTrue(op.get("p99_us").getAsDouble() >= op.get("p50_us").getAsDouble(), kind + " percentiles");
            }
            assertEquals(0, r.getAsJsonObject("strata").getAsJsonObject("errors").size(), "errors: " + r.getAsJsonObject("strata").get("errors"));
            assertEquals(0, r.getAsJsonObject("native").getAsJsonObject("errors").size(), "baseline errors");
            assertEquals(0, r.getAsJsonArray("incidents").size(), r.get("incidents").toString());
            assertEquals(0, r.getAsJsonArray("leftovers").size(), r.get("leftovers").toString());
            for (String kind : List.of("read", "stat", "walk", "write", "runtime.start")) {
                assertTrue(r.getAsJsonObject("ratios").getAsJsonObject(kind).get("p50").getAsDouble() > 0, kind + " has a ratio to native");
            }

            // the daemon's own counts agree with what the agents did: every read, write and append opened a file,
            // every walk opened directories, agents' edits of lower files were copied up and journaled
            long opened = count(r, "strata", "read") + count(r, "strata", "write") + count(r, "strata", "append");
            assertTrue(opcode(r, "OPEN") + opcode(r, "CREATE") >= opened, "OPEN+CREATE " + (opcode(r, "OPEN") + opcode(r, "CREATE"))
                    + " for " + opened + " file operations");
            assertTrue(opcode(r, "OPENDIR") >= count(r, "strata", "walk"), "a walk opens directories");
            assertTrue(opcode(r, "LOOKUP") > 0);
            JsonObject metrics = r.getAsJsonObject("daemon").getAsJsonObject("metrics");
            assertTrue(metrics.get("strata_copy_ups_total").getAsDouble() > 0, "appends copied lower files up");
            assertTrue(metrics.get("strata_journal_appends_total").getAsDouble() > 0);
            assertTrue(metrics.get("strata_route_cache_total{result=\"hit\"}").getAsDouble() > 0);
            assertTrue(metrics.get("strata_control_calls_seconds_count{method=\"CreateBranch\",outcome=\"ok\"}").getAsDouble()
                    >= count(r, "strata", "branch.create"), "the daemon counted every branch the agents made");
            assertTrue(r.getAsJsonObject("daemon").getAsJsonArray("samples").size() >= 20, "the daemon was sampled every second");
            assertTrue(r.getAsJsonObject("daemon").get("alive_at_end").getAsBoolean());

            String runId = r.getAsJsonObject("run").get("id").getAsString();
            for (String listing : List.of("runtime list", "snapshot list", "branch list")) {
                String listed = daemon.strata.ok(listing.split(" ")).out();
                assertFalse(listed.contains(runId), listing + " shows what the run made:\n" + listed);
            }

            // the report opens in a real browser, with no network, and every chart draws
            Path html = out.resolve("sim-report.html");
            String dom = chromium("--dump-dom", html.toUri().toString());
            Matcher charts = Pattern.compile("<div class=\"chart\" id=\"([^\"]+)\"([^>]*)>").matcher(dom);
            int drawn = 0;
            while (charts.find()) {
                assertTrue(charts.group(2).contains("data-rendered=\"true\""), "chart " + charts.group(1) + " did not draw: " + charts.group(0));
                drawn++;
            }
            assertEquals(5, drawn, "latency, throughput (strata and native) and two daemon charts");
            Path screenshot = RESULTS.resolve("sim-report.png");
            Files.deleteIfExists(screenshot);
            chromium("--window-size=1300,2600", "--screenshot=" + screenshot, html.toUri().toString());
            assertTrue(Files.size(screenshot) > 20_000, "a screenshot of the report in " + screenshot);
        }
    }

    @Test
    void compareGatesOnADeliberatelySlowedDaemon() throws Exception {
        Path first = RESULTS.resolve("compare-1");
        Path second = RESULTS.resolve("compare-2");
        Path slowed = RESULTS.resolve("compare-slowed");
        String smoke = SCENARIOS.resolve("smoke.conf").toString();
        try (DaemonFixture daemon = new DaemonFixture()) {
            for (Path out : List.of(first, second)) {
                dev.strata.persistence.Renderer.deleteTree(out);
                StrataProcess.Outcome run = sim(daemon).run("sim", smoke, "--duration", "10", "-o", out.toString());
                assertEquals(0, run.exit(), run.err());
            }
            StrataProcess.Outcome same = daemon.strata.run("sim", "compare", first.resolve("sim-report.json").toString(),
                    second.resolve("sim-report.json").toString());
            assertEquals(0, same.exit(), "two runs of one build pass at the default threshold:\n" + same.out() + same.err());
            assertTrue(same.out().contains("no regression past 50.0%"), same.out());
        }
        // every kernel answer 5 ms late: the file operations' p99 and throughput regress far past the threshold
        // (the kernel keeps answers every runtime agrees on, so fewer requests reach the daemon to be delayed:
        // at 2 ms, read fell by 49% in one run, on the threshold's edge)
        try (DaemonFixture daemon = DaemonFixture.withConfig("", Map.of("STRATA_TEST_ANSWER_DELAY_US", "5000"))) {
            dev.strata.persistence.Renderer.deleteTree(slowed);
            StrataProcess.Outcome run = sim(daemon).run("sim", smoke, "--duration", "10", "-o", slowed.toString());
            assertEquals(0, run.exit(), run.err());
            StrataProcess.Outcome regressed = daemon.strata.run("sim", "compare", first.resolve("sim-report.json").toString(),
                    slowed.resolve("sim-report.json").toString());
            assertEquals(1, regressed.exit(), regressed.out() + regressed.err());
            assertTrue(regressed.out().contains("regressed past 50.0%"), regressed.out());
            assertTrue(Pattern.compile("(?m)^(read|stat|write) .*!").matcher(regressed.out()).find(), regressed.out());
        }
        // malformed input is named, not half-read
        try (DaemonFixture daemon = new DaemonFixture()) {
            Path bad = daemon.work.resolve("bad.conf");
            Files.writeString(bad, "name = bad\nmix = [ { personality = sleeper } ]\n");
            StrataProcess.Outcome refused = sim(daemon).run("sim", bad.toString());
            assertEquals(1, refused.exit());
            assertTrue(refused.err().contains("unknown personality 'sleeper'"), refused.err());
            Path notReport = daemon.work.resolve("not.json");
            Files.writeString(notReport, "{\"hello\": 1}");
            StrataProcess.Outcome notOne = daemon.strata.run("sim", "compare", notReport.toString(), notReport.toString());
            assertEquals(1, notOne.exit());
            assertTrue(notOne.err().contains("is not a strata sim report"), notOne.err());
        }
    }

    @Test
    void anInterruptedRunOrADyingDaemonLeavesNothingRunningAndTheReportSaysSo() throws Exception {
        Path interrupted = RESULTS.resolve("interrupted");
        Path orphaned = RESULTS.resolve("daemon-died");
        String smoke = SCENARIOS.resolve("smoke.conf").toString();
        try (DaemonFixture daemon = new DaemonFixture()) {
            dev.strata.persistence.Renderer.deleteTree(interrupted);
            Path log = daemon.work.resolve("sim-interrupted.log");
            Process run = sim(daemon).startWithOutput(log, "sim", smoke, "--duration", "120", "-o", interrupted.toString());
            try {
                awaitProgress(log, run);
                // two workers die under the agents, then the user presses Ctrl-C
                List<ProcessHandle> workers = ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").contains("strata-sim-worker " + daemon.mountpoint)).limit(2).toList();
                assertFalse(workers.isEmpty(), "workers run in runtimes");
                workers.forEach(ProcessHandle::destroyForcibly);
                Thread.sleep(2000);
                new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).start().waitFor();
                assertTrue(run.waitFor(150, TimeUnit.SECONDS), "the run ends soon after Ctrl-C:\n" + Files.readString(log));
            } finally {
                run.destroyForcibly();
            }
            JsonObject r = report(interrupted);
            assertTrue(r.getAsJsonObject("run").get("interrupted").getAsBoolean(), "the report says it was interrupted");
            assertEquals(0, r.getAsJsonArray("leftovers").size(), r.get("leftovers").toString());
            // a killed worker shows where its agent next needs it: a file operation ("worker exited") or the end of its tree
            String errors = r.getAsJsonObject("strata").getAsJsonObject("errors").toString();
            assertTrue(errors.contains("worker exited") || errors.contains("tree exited 137"), "the killed workers are counted: " + errors);
            String runId = r.getAsJsonObject("run").get("id").getAsString();
            for (String listing : List.of("runtime list", "snapshot list", "branch list")) {
                assertFalse(daemon.strata.ok(listing.split(" ")).out().contains(runId), listing);
            }
            assertEquals(List.of(), simProcesses());

            // the daemon dies under a run: the run ends, its trees are ended, and the report names what it could not remove
            dev.strata.persistence.Renderer.deleteTree(orphaned);
            Path log2 = daemon.work.resolve("sim-orphaned.log");
            Process second = sim(daemon).startWithOutput(log2, "sim", smoke, "--duration", "120", "-o", orphaned.toString());
            try {
                awaitProgress(log2, second);
                daemon.daemonProcess().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                assertTrue(second.waitFor(150, TimeUnit.SECONDS), "the run ends when its daemon dies:\n" + Files.readString(log2));
            } finally {
                second.destroyForcibly();
            }
            JsonObject d = report(orphaned);
            assertFalse(d.getAsJsonObject("daemon").get("alive_at_end").getAsBoolean());
            assertTrue(d.getAsJsonArray("incidents").toString().contains("the daemon"), d.get("incidents").toString());
            assertFalse(d.getAsJsonObject("run").get("interrupted").getAsBoolean());
            assertEquals(List.of(), simProcesses());
        }
    }

    /** Waits until the run has agents at work (its progress line shows operations). */
    private static void awaitProgress(Path log, Process run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Pattern working = Pattern.compile("agents [1-9][0-9]*, [1-9][0-9,]* ops");
        while (!working.matcher(Files.exists(log) ? Files.readString(log) : "").find()) {
            assertTrue(run.isAlive(), "the run ended early:\n" + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "no agent at work after 90 s:\n" + Files.readString(log));
            Thread.sleep(200);
        }
    }

    /** Headless Chromium (Debian's package, installed by bin/setup --for-tests): what it printed. */
    private static String chromium(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + RESULTS.resolve("chromium-profile")));
        cmd.addAll(List.of(args));
        Path output = Files.createTempFile("chromium", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("chromium did not finish in 90 s");
            }
            assertEquals(0, p.exitValue(), "chromium " + args[0]);
            return Files.readString(output, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(output);
            dev.strata.persistence.Renderer.deleteTree(RESULTS.resolve("chromium-profile"));
        }
    }
}
