package dev.strata.ops.cli;

import dev.strata.ops.StrataHome;
import dev.strata.persistence.RepositoryException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The root of the CLI. Exit codes: 0 success, 1 failure (the message names the problem),
 * 2 usage error.
 */
@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "Isolated, layered, copy-on-write views of content-addressed software.",
        subcommands = {
                HelpCommand.class, ImportCommand.class, TagsCommand.class, TagCommand.class,
                LogCommand.class, InfoCommand.class, LsCommand.class, DiffCommand.class, RenderCommand.class,
                CheckCommand.class, CleanCommand.class, ServiceCommand.class, RunCommand.class, ShellCommand.class, MountCommand.class,
                UnmountCommand.class, CommitCommand.class, SnapshotCommand.class, BranchCommand.class, RuntimeCommand.class, CompletionCommand.class, ConfigCommand.class, DemoCommand.class})
public final class StrataCommand implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StrataCommand.class);

    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;
    /** Set when the daemon runs this command for a caller: that caller's control service. */
    private dev.strata.protocol.StrataControl inDaemon;
    private int callerPid = (int) ProcessHandle.current().pid();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    StrataCommand(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    private dev.strata.ops.StrataConfig config;

    /** The configuration (files and environment), read once per command. */
    dev.strata.ops.StrataConfig config() {
        if (config == null) {
            config = dev.strata.ops.StrataConfig.load(env);
        }
        return config;
    }

    StrataHome home() {
        return config().home();
    }

    /** True when stderr goes to a person, so progress bars are worth drawing. */
    boolean interactive() {
        return inDaemon == null && System.console() != null && !"dumb".equals(env.get("TERM"));
    }

    /** The control service of the caller the daemon runs this command for; null in a CLI process. */
    dev.strata.protocol.StrataControl inDaemon() {
        return inDaemon;
    }

    /** The process that asked: this one, or the caller the daemon runs this command for (commit, diff). */
    int callerPid() {
        return callerPid;
    }

    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    public static int execute(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        CommandLine cli = commandLine(env, out, err);
        try {
            dev.strata.ops.StrataConfig.Value level = ((StrataCommand) cli.getCommand()).config().values().get("log-level");
            if (!level.source().equals("default") && !level.source().startsWith("env")) { // the environment is logback's own
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                        .setLevel(ch.qos.logback.classic.Level.toLevel(level.value(), ch.qos.logback.classic.Level.WARN));
            }
        } catch (IllegalArgumentException e) {
            err.println("strata: " + e.getMessage());
            return 1;
        }
        return execute(cli, args, err);
    }

    /**
     * Commands the daemon runs itself for the native front end, so they cost a round trip instead of a
     * JVM: those that only talk to the daemon, through the caller's own control service (never one that
     * reads files or the repository, which must run as the user).
     */
    private static final java.util.Set<String> RUN_IN_DAEMON = java.util.Set.of("service status", "runtime list", "runtime info",
            "runtime remove", "snapshot create", "snapshot list", "snapshot delete", "branch create", "branch list", "branch bind",
            "branch unbind", "branch diff", "branch commit", "branch delete", "unmount", "commit", "diff");

    /** What a command run in the daemon printed, and its exit code. */
    public record Output(int exit, byte[] out, byte[] err) {
    }

    /** The daemon's side of the launcher's CLI call: {@link #executeFor} as the launcher protocol wants it. */
    public static dev.strata.protocol.CliReply serve(java.util.List<String> args, dev.strata.protocol.StrataControl control, int pid) {
        Output o = executeFor(args.toArray(String[]::new), control, pid);
        return dev.strata.protocol.CliReply.newBuilder().setExit(o.exit()).setOut(com.google.protobuf.ByteString.copyFrom(o.out()))
                .setErr(com.google.protobuf.ByteString.copyFrom(o.err())).build();
    }

    /** Runs {@code args} in the daemon for a caller whose control service is {@code control} and whose process is {@code pid}. */
    public static Output executeFor(String[] args, dev.strata.protocol.StrataControl control, int pid) {
        java.io.ByteArrayOutputStream outBytes = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream errBytes = new java.io.ByteArrayOutputStream();
        PrintStream out = new PrintStream(outBytes, true, java.nio.charset.StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, java.nio.charset.StandardCharsets.UTF_8);
        StrataCommand root = new StrataCommand(Map.of(), out, err);
        root.inDaemon = control;
        root.callerPid = pid;
        CommandLine cli = new CommandLine(root);
        cli.setExpandAtFiles(false); // an @file argument would be read as root
        withHelp(cli);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit;
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args);
            java.util.List<CommandLine> chain = parsed.asCommandLineList();
            String path = String.join(" ", chain.subList(1, chain.size()).stream().map(c -> c.getCommandName()).toList());
            boolean repositoryDiff = path.equals("diff") && !parsed.subcommand().matchedPositionals().isEmpty();
            if (!RUN_IN_DAEMON.contains(path) || repositoryDiff || parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested()
                    || chain.stream().anyMatch(c -> c.isUsageHelpRequested() || c.isVersionHelpRequested())) {
                err.println("strata: '" + dev.strata.actors.ControlRules.quote(path) + "' is not a command the daemon runs");
                exit = CommandLine.ExitCode.USAGE;
            } else {
                exit = execute(cli, args, err);
            }
        } catch (CommandLine.ParameterException e) {
            err.println(e.getMessage());
            e.getCommandLine().usage(err);
            exit = CommandLine.ExitCode.USAGE;
        }
        return new Output(exit, outBytes.toByteArray(), errBytes.toByteArray());
    }

    private static int execute(CommandLine cli, String[] args, PrintStream err) {
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UsageException || e instanceof dev.strata.persistence.MalformedSpecException) {
                err.println("strata: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            if (e instanceof RepositoryException || e instanceof IllegalArgumentException || e instanceof UncheckedIOException) {
                err.println("strata: " + e.getMessage());
            } else {
                log.error("unexpected failure (a bug): {}", e.toString(), e);
                err.println("strata: unexpected failure: " + e);
            }
            return 1;
        });
        return cli.execute(args);
    }

    /** The command model: every command and subcommand answers --help (-h) and --version. */
    static CommandLine commandLine(Map<String, String> env, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new StrataCommand(env, out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        withHelp(cli);
        return cli;
    }

    private static void withHelp(CommandLine command) {
        if (!command.getCommandSpec().mixinStandardHelpOptions()) {
            command.getCommandSpec().mixinStandardHelpOptions(true);
        }
        command.getSubcommands().values().forEach(StrataCommand::withHelp);
    }

    /** The path of every command below the root ("service start", ...), for tests and shell completion. */
    public static java.util.List<String> commandPaths() {
        java.util.List<String> paths = new java.util.ArrayList<>();
        collect(commandLine(Map.of(), System.out, System.err), "", paths);
        return paths;
    }

    private static void collect(CommandLine command, String prefix, java.util.List<String> paths) {
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help") && sub.getCommandSpec().name().equals(name)) {
                paths.add(prefix + name);
                collect(sub, prefix + name + " ", paths);
            }
        });
    }
}
