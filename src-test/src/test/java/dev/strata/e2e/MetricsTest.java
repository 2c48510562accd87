package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The daemon measures itself: kernel requests per opcode and control calls, read as root, refused to others. */
class MetricsTest {
    /** The value of {@code series} in a scrape; fails when the scrape has none. */
    static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(metrics);
        assertTrue(m.find(), "no " + series + " in:\n" + metrics.lines().filter(l -> l.startsWith("strata_")).limit(60).toList());
        return Double.parseDouble(m.group(1));
    }

    /** A counter that may not have been created yet. */
    private static double count(String metrics, String series) {
        return metrics.contains(series + " ") ? value(metrics, series) : 0;
    }

    @Test
    void kernelRequestsAndControlCallsAreCountedAndOnlyRootReadsThem() throws Exception {
        int port = FleetTest.freePorts(1)[0];
        try (DaemonFixture daemon = DaemonFixture.withConfig("strata.metrics-listen = \"127.0.0.1:" + port + "\"\n")) {
            daemon.layer("base", "etc/motd", "hello\n", "etc/other", "x\n");
            String before = daemon.strata.ok("service", "status", "--metrics").out();
            Path out = daemon.work.resolve("reads.out");
            String script = "for i in 1 2 3 4 5; do cat " + daemon.mountpoint + "/etc/motd > /dev/null; stat " + daemon.mountpoint
                    + "/etc/other > /dev/null; done; ls " + daemon.mountpoint + "/etc";
            assertEquals(0, DaemonFixture.await(daemon.run("base", script, out)));
            String after = daemon.strata.ok("service", "status", "--metrics").out();

            assertTrue(value(after, "strata_fuse_requests_total{opcode=\"LOOKUP\"}") >= 2, "lookups counted");
            assertTrue(value(after, "strata_fuse_requests_total{opcode=\"OPEN\"}") >= 1, "opens counted");
            assertTrue(value(after, "strata_fuse_answer_seconds_count{opcode=\"LOOKUP\"}")
                    <= value(after, "strata_fuse_requests_total{opcode=\"LOOKUP\"}"), "every answer had a request");
            assertTrue(after.contains("strata_fuse_answer_seconds_bucket{opcode=\"GETATTR\""), "latency histograms per opcode");
            assertTrue(value(after, "strata_fuse_readers") >= 1, "reader threads shown");
            assertTrue(value(after, "strata_control_calls_seconds_count{method=\"Mount\",outcome=\"ok\"}") >= 1, "the run's control call");
            assertTrue(value(after, "strata_control_calls_seconds_count{method=\"Metrics\",outcome=\"ok\"}") >= 1);
            assertTrue(!before.contains("opcode=\"OPEN\"") || value(before, "strata_fuse_requests_total{opcode=\"OPEN\"}")
                    < value(after, "strata_fuse_requests_total{opcode=\"OPEN\"}"));

            // ls -l asks every file for its ACL and SELinux label: Strata keeps neither, says so (EOPNOTSUPP), and ls stops asking
            String[] tree = new String[400];
            for (int i = 0; i < tree.length; i += 2) {
                tree[i] = "tree/d" + (i % 10) + "/f" + i;
                tree[i + 1] = "x\n";
            }
            daemon.layer("tree", tree);
            double asked = count(daemon.strata.ok("service", "status", "--metrics").out(), "strata_fuse_requests_total{opcode=\"GETXATTR\"}");
            Path listing = daemon.work.resolve("ls-lR.out");
            String walk = "ls -lR " + daemon.mountpoint + "/tree | grep -c '^-' ; python3 -c 'import os\ntry:\n os.getxattr(\"" + daemon.mountpoint
                    + "/tree/d0/f0\", \"user.none\")\nexcept OSError as e:\n print(e.strerror)'";
            assertEquals(0, DaemonFixture.await(daemon.run("tree", walk, listing)));
            assertEquals("200\nNo data available\n", Files.readString(listing), "every file listed; a user attribute it lacks is still ENODATA");
            double walked = value(daemon.strata.ok("service", "status", "--metrics").out(), "strata_fuse_requests_total{opcode=\"GETXATTR\"}");
            assertTrue(walked - asked <= 10, "ls -lR of 200 files asked for attributes " + (walked - asked) + " times");

            // a scraper on this machine reads the same on the loopback endpoint
            java.net.http.HttpResponse<String> scraped = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scraped.statusCode());
            assertTrue(value(scraped.body(), "strata_fuse_requests_total{opcode=\"OPEN\"}") >= 1);

            Path frontEnd = daemon.work.resolve("strata-run");
            Files.copy(NativeClientTest.NATIVE, frontEnd, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "STRATA_HOME=" + daemon.home,
                    frontEnd.toString(), "service", "status", "--metrics").redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String refused = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), refused);
            assertTrue(refused.contains("only root may read the daemon's metrics"), refused);
        }
    }
}
