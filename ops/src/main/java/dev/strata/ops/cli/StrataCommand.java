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
                UnmountCommand.class, CommitCommand.class, SnapshotCommand.class, BranchCommand.class, RuntimeCommand.class, DemoCommand.class})
public final class StrataCommand implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StrataCommand.class);

    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    StrataCommand(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    StrataHome home() {
        return StrataHome.from(env);
    }

    /** True when stderr goes to a person, so progress bars are worth drawing. */
    boolean interactive() {
        return System.console() != null && !"dumb".equals(env.get("TERM"));
    }

    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    public static int execute(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        CommandLine cli = commandLine(env, out, err);
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
