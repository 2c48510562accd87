package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Data integrity under random operations (fsx.py, the short fixed-seed pass; bin/fsx runs the long
 * one): writes, truncates, punched holes, zeroed ranges, writes through shared maps, in-kernel copies
 * and reopens over files of a lower layer in an editable runtime, every read checked against a model;
 * then the commit of the runtime, rendered, holds exactly what the model says.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RandomOperationTest {
    static final Path FSX = Path.of("src/test/resources/fsx.py").toAbsolutePath();
    static final String LAZY_COPY_UP = "-Dstrata.copy-up.lazy-from=1 -Dstrata.copy-up.chunk=65536";
    static final long SEED = 20261201;
    static DaemonFixture daemon;

    @BeforeAll
    static void start() throws Exception {
        // every copy-up of the tester's files (up to 512 KiB to start with) fills lazily, in 64 KiB chunks
        daemon = DaemonFixture.withConfig(null, java.util.Map.of("JAVA_TOOL_OPTIONS", LAZY_COPY_UP));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static String python(Path out, String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("/usr/bin/python3", FSX.toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertEquals(0, DaemonFixture.await(p), Files.readString(out));
        return Files.readString(out);
    }

    @Test
    void randomOperationsOverLowerFilesMatchTheModelThroughTheMountAndAfterCommit() throws Exception {
        String out = fsx("fsx", false);
        String metrics = daemon.strata.ok("service", "status", "--metrics").out();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("strata_lazy_copy_ups_total") && !l.endsWith(" 0.0")),
                "the copy-ups filled lazily:\n" + metrics + out);
    }

    /** On an own mount the kernel keeps attributes: sizes after writes, truncates, holes and shared-map writes must still be right. */
    @Test
    void onAnOwnMountRandomOperationsMatchTheModelToo() throws Exception {
        fsx("fsx-own", true);
    }

    /** Runs the tester in a new durable runtime {@code name}, commits it from inside, and compares the rendered commit with the model. */
    private static String fsx(String name, boolean ownMount) throws Exception {
        Path base = daemon.work.resolve(name + "-base");
        python(daemon.work.resolve(name + "-prepare.out"), "prepare", base.toString(), Long.toString(SEED));
        daemon.strata.ok("import", base.toString(), "--tag", name + "-base");
        Path expected = daemon.work.resolve(name + "-expected");
        Path out = daemon.work.resolve(name + ".out");
        String[] tester = {"/usr/bin/python3", FSX.toString(), "run", daemon.mountpoint.toString(), Long.toString(SEED), "5000", expected.toString()};
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run", "--edit", "--durable", "--name", name));
        if (ownMount) {
            args.add("--own-mount"); // only the native front end makes one
        }
        args.add(name + "-base");
        args.add("--");
        args.addAll(java.util.List.of(tester));
        Process run = ownMount ? daemon.nativeFrontEnd(args.toArray(String[]::new)).redirectOutput(out.toFile()).start()
                : daemon.strata.startWithOutput(out, args.toArray(String[]::new));
        assertEquals(0, DaemonFixture.await(run), Files.readString(out));
        assertTrue(Files.readString(out).contains("fsx: 5000 operations, no divergence"), Files.readString(out));

        // the commit is made from inside the runtime, as a user would
        daemon.strata.ok("run", "--join", name, "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.strata.ops.Main", "commit", "--tag", name + "-out");
        Path rendered = daemon.work.resolve(name + "-rendered");
        daemon.strata.ok("render", name + "-base+" + name + "-out", rendered.toString());
        Process diff = new ProcessBuilder("diff", "-r", expected.toString(), rendered.toString()).redirectErrorStream(true).start();
        String differences = new String(diff.getInputStream().readAllBytes());
        assertEquals(0, diff.waitFor(), "the commit differs from the model: " + differences);
        return Files.readString(out);
    }
}
