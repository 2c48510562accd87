package dev.strata.e2e;

import dev.strata.persistence.Renderer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real daemon in its own JVM, with its own STRATA_HOME and a temporary mount point. Closing it
 * stops the daemon and, whatever happened, leaves no mount, process or temp tree behind.
 */
final class DaemonFixture implements AutoCloseable {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    final Path work;
    final Path home;
    final Path mountpoint;
    final StrataProcess strata;
    private Process daemon;
    private final List<Process> children = new ArrayList<>();

    DaemonFixture(String... extraArgs) throws Exception {
        this(null, extraArgs, true);
    }

    /** A daemon whose home's strata.conf holds {@code config} (HOCON) from the start. */
    static DaemonFixture withConfig(String config, String... extraArgs) throws Exception {
        return new DaemonFixture(config, extraArgs, true);
    }

    /** The same, with {@code env} in the daemon's environment (a TLS store's password). */
    static DaemonFixture withConfig(String config, java.util.Map<String, String> env) throws Exception {
        DaemonFixture.nextEnv.set(env);
        try {
            return new DaemonFixture(config, new String[0], true);
        } finally {
            DaemonFixture.nextEnv.remove();
        }
    }

    private static final ThreadLocal<java.util.Map<String, String>> nextEnv = new ThreadLocal<>();
    private java.util.Map<String, String> env = java.util.Map.of();

    private DaemonFixture(String config, String[] extraArgs, boolean configured) throws Exception {
        work = Files.createTempDirectory("strata-daemon-test-");
        // temp dirs are 0700: open the way to the mount point for tests that run as another user
        dev.strata.persistence.NativeFs.chmod(work, 0755);
        home = work.resolve("home");
        mountpoint = work.resolve("mnt");
        strata = new StrataProcess(home);
        if (nextEnv.get() != null) {
            env = nextEnv.get();
        }
        if (config != null) {
            Files.createDirectories(home);
            Files.writeString(home.resolve("strata.conf"), config);
        }
        start(extraArgs);
    }

    void start(String... extraArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main",
                "service", "start", "--mountpoint", mountpoint.toString()));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("daemon.log").toFile());
        pb.environment().put("STRATA_HOME", home.toString());
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        daemon = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        // a killed predecessor leaves its control file and mount: wait for this daemon's own pid
        boolean degraded = List.of(extraArgs).contains("--no-fuse");
        while (!((degraded || mounted()) && controlFileNames(daemon.pid()))) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the daemon did not start:\n" + log());
            }
            Thread.sleep(50);
        }
    }

    private boolean controlFileNames(long pid) throws IOException {
        Path control = home.resolve("daemon/control.properties");
        return Files.exists(control) && Files.readString(control).contains("pid=" + pid + "\n");
    }

    String log() throws IOException {
        return Files.exists(work.resolve("daemon.log")) ? Files.readString(work.resolve("daemon.log")) : "";
    }

    Process daemonProcess() {
        return daemon;
    }

    boolean mounted() throws IOException {
        return Files.readString(Path.of("/proc/mounts"), StandardCharsets.UTF_8).contains(" " + mountpoint + " fuse");
    }

    /** A gRPC client of this daemon's control plane, on its Unix socket (as root: the test's own identity). */
    dev.strata.ops.control.ControlClient client() {
        return dev.strata.ops.control.ControlClient.connect(home.resolve("daemon/control.sock"));
    }

    /** Imports a directory whose files are given as path, content pairs, and tags it. */
    String layer(String tag, String... pathsAndContents) throws Exception {
        Path src = Files.createDirectories(work.resolve("src-" + tag.replace('/', '-')));
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            Path f = src.resolve(pathsAndContents[i]);
            Files.createDirectories(f.getParent());
            Files.writeString(f, pathsAndContents[i + 1]);
        }
        return strata.ok("import", src.toString(), "--tag", tag).out().trim();
    }

    /** The native front end ({@code ops/target/strata-run}) with {@code args}, for this daemon, stdin from /dev/null, stderr with stdout. */
    ProcessBuilder nativeFrontEnd(String... args) {
        List<String> cmd = new ArrayList<>(List.of(NativeClientTest.NATIVE.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("STRATA_HOME", home.toString());
        pb.environment().remove("STRATA_FALLBACK");
        return pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }

    /** Runs the native front end with {@code args} to its end (at most a minute): its exit code and output. */
    StrataProcess.Outcome nativeRun(String... args) throws Exception {
        Path out = Files.createTempFile(work, "native", ".out");
        Process p = nativeFrontEnd(args).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("strata-run " + String.join(" ", args) + " did not finish: " + Files.readString(out));
        }
        return new StrataProcess.Outcome(p.exitValue(), Files.readString(out), "");
    }

    /** Starts {@code strata run SPEC -- sh -c SCRIPT}, with output to a file. */
    Process run(String spec, String script, Path output) throws IOException {
        Process p = strata.startWithOutput(output, "run", spec, "--", "sh", "-c", script);
        children.add(p);
        return p;
    }

    static int await(Process p) throws InterruptedException {
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("a process did not finish in 2 minutes");
        }
        return p.exitValue();
    }

    @Override
    public void close() throws Exception {
        children.forEach(Process::destroyForcibly);
        try {
            if (daemon.isAlive()) {
                strata.run("service", "stop");
                if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            if (mounted()) {
                new ProcessBuilder("umount", "-l", mountpoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
            try {
                Renderer.deleteTree(work);
            } catch (RuntimeException e) {
                // a tree deeper than PATH_MAX: rm walks it
                new ProcessBuilder("rm", "-rf", work.toString()).start().waitFor(60, TimeUnit.SECONDS);
            }
        }
    }
}
