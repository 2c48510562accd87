package dev.strata.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real strata CLI in its own JVM, with its own STRATA_HOME. */
final class StrataProcess {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private final Path home;
    private final java.util.Map<String, String> env = new java.util.HashMap<>();

    /** What a run printed and how it ended. */
    record Outcome(int exit, String out, String err) {
    }

    StrataProcess(Path home) {
        this.home = home;
    }

    /** The CLI as a user runs it: its own JVM, this home, no terminal. */
    private ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("STRATA_HOME", home.toString());
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return pb;
    }

    /** Sets an environment variable for every later run (AWS credentials, a token's variable). */
    StrataProcess withEnv(String name, String value) {
        env.put(name, value);
        return this;
    }

    Process start(String... args) throws IOException {
        return builder(args).start();
    }

    /** Starts the CLI with stdout and stderr going to {@code output}. */
    Process startWithOutput(Path output, String... args) throws IOException {
        return builder(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /** Runs the CLI with {@code input} as its standard input (as a user types into an interactive command). */
    Outcome runWithInput(String input, String... args) throws IOException, InterruptedException {
        Path in = Files.createTempFile("strata-in", ".txt");
        try {
            Files.writeString(in, input);
            return runWith(builder(args).redirectInput(in.toFile()), args);
        } finally {
            Files.deleteIfExists(in);
        }
    }

    Outcome run(String... args) throws IOException, InterruptedException {
        return runWith(builder(args), args);
    }

    private Outcome runWith(ProcessBuilder pb, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("strata-out", ".txt");
        Path err = Files.createTempFile("strata-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("strata " + String.join(" ", args) + " did not finish in 3 minutes");
            }
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    Outcome ok(String... args) throws IOException, InterruptedException {
        Outcome o = run(args);
        if (o.exit() != 0) {
            throw new AssertionError("strata " + String.join(" ", args) + " exited " + o.exit() + ": " + o.err());
        }
        return o;
    }
}
