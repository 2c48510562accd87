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
                UnmountCommand.class, CommitCommand.class, SnapshotCommand.class, BranchCommand.class, RuntimeCommand.class, CompletionCommand.class, ConfigCommand.class, DemoCommand.class,
                RemoteCommand.class, TransferCommand.Push.class, TransferCommand.Pull.class, ServeCommand.class, FleetCommand.class, SimCommand.class})
public final class StrataCommand implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StrataCommand.class);

    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;
    /** Set when the daemon runs this command for a caller: that caller's control service. */
    private dev.strata.protocol.StrataControl inDaemon;
    private int callerPid = (int) ProcessHandle.current().pid();
    /** In the daemon: the width of the caller's terminal, when its stderr is one (0 otherwise). */
    private int terminalColumns;
    /** In the daemon: who asked, and the daemon's repository, which this command reads for it. */
    private dev.strata.actors.Caller caller;
    private dev.strata.persistence.Repository daemonRepository;

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

    /** The repository: the daemon's when the daemon runs this command, otherwise the one of this home. */
    dev.strata.persistence.Repository repository() {
        return daemonRepository != null ? daemonRepository : home().repository();
    }

    /**
     * Whose permissions a listing of the repository's trees obeys: in the daemon the caller's, so that
     * it shows no more than the mount would; null in a CLI process, which reads the repository's files
     * with its own rights.
     */
    dev.strata.engine.Permissions.Credentials reader() {
        return daemonRepository != null ? caller : null;
    }

    /** True when stderr goes to a person, so progress bars are worth drawing. */
    boolean interactive() {
        return inDaemon == null ? System.console() != null && !"dumb".equals(env.get("TERM")) : terminalColumns > 0;
    }

    /** Where a progress bar draws: stderr, as wide as the caller's terminal. */
    me.tongfei.progressbar.ProgressBarConsumer progressConsumer() {
        return terminalColumns > 0 ? new me.tongfei.progressbar.ConsoleProgressBarConsumer(err, terminalColumns)
                : new me.tongfei.progressbar.ConsoleProgressBarConsumer(err);
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
     * reads the caller's files, which only the caller may).
     */
    private static final java.util.Set<String> RUN_IN_DAEMON = java.util.Set.of("service status", "runtime list", "runtime info",
            "runtime remove", "snapshot create", "snapshot list", "snapshot delete", "branch create", "branch list", "branch bind",
            "branch unbind", "branch diff", "branch commit", "branch delete", "unmount", "commit", "diff",
            "fleet status", "fleet runtimes", "fleet unmount", "fleet drain", "fleet undrain", "fleet pull");

    /**
     * Commands that read the repository (never a file of the caller's), which the daemon may run from
     * its own repository: a user reads what every runtime shows, listings obeying its permissions as
     * the mount does ({@link #reader}). {@code diff} with two specs; without, it is the scratch's.
     */
    private static final java.util.Set<String> READ_IN_DAEMON = java.util.Set.of("ls", "info", "tags", "log", "diff");

    /** What a command run in the daemon printed, and its exit code. */
    public record Output(int exit, byte[] out, byte[] err) {
    }

    /**
     * The daemon's side of the launcher's CLI call: {@link #executeFor} as the launcher protocol wants
     * it. For a caller on a terminal, stderr goes out live (progress bars); otherwise in the answer.
     */
    public static dev.strata.protocol.CliReply serve(dev.strata.protocol.CliRequest request, dev.strata.protocol.StrataControl control,
                                                     dev.strata.actors.Caller caller, dev.strata.persistence.Repository repository,
                                                     java.io.OutputStream liveErr) {
        int columns = Math.max(0, Math.min(request.getTerminalColumns(), 1000));
        Output o = executeFor(request.getArgsList().toArray(String[]::new), control, caller, repository, columns, columns > 0 ? liveErr : null);
        return dev.strata.protocol.CliReply.newBuilder().setExit(o.exit()).setOut(com.google.protobuf.ByteString.copyFrom(o.out()))
                .setErr(com.google.protobuf.ByteString.copyFrom(o.err())).build();
    }

    /** Runs {@code args} in the daemon for a caller whose control service is {@code control} and whose process is {@code pid}. */
    public static Output executeFor(String[] args, dev.strata.protocol.StrataControl control, int pid) {
        return executeFor(args, control, new dev.strata.actors.Caller(0, 0, new int[0], pid), null, 0, null);
    }

    /**
     * The same for {@code caller}, reading {@code repository} for it (null: repository commands
     * refused), on a terminal {@code terminalColumns} wide, its stderr sent on at once to {@code liveErr}.
     */
    static Output executeFor(String[] args, dev.strata.protocol.StrataControl control, dev.strata.actors.Caller caller,
                             dev.strata.persistence.Repository repository, int terminalColumns, java.io.OutputStream liveErr) {
        int pid = caller.pid();
        java.io.ByteArrayOutputStream outBytes = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream errBytes = new java.io.ByteArrayOutputStream();
        PrintStream out = new PrintStream(outBytes, true, java.nio.charset.StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(liveErr != null ? liveErr : errBytes, true, java.nio.charset.StandardCharsets.UTF_8);
        StrataCommand root = new StrataCommand(Map.of(), out, err);
        root.inDaemon = control;
        root.callerPid = pid;
        root.terminalColumns = terminalColumns;
        root.caller = caller;
        root.daemonRepository = repository;
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
            // diff without specs is the scratch's, a call to the daemon; with two it reads the repository
            boolean readsRepository = READ_IN_DAEMON.contains(path) && !(path.equals("diff") && parsed.subcommand().matchedPositionals().isEmpty());
            boolean runs = readsRepository ? repository != null : RUN_IN_DAEMON.contains(path);
            if (!runs || parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested()
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
