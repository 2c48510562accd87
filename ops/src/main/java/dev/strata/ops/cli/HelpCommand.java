package dev.strata.ops.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "help", description = "Show the help of a command, nested ones too: strata help service start.")
final class HelpCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(arity = "0..*", paramLabel = "COMMAND")
    List<String> path = List.of();

    @Override
    public void run() {
        CommandLine command = strata.spec.commandLine();
        for (String name : path) {
            CommandLine sub = command.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(strata.spec.commandLine().getSubcommands().get("help"),
                        "no command '" + name + "' in strata " + String.join(" ", path.subList(0, path.indexOf(name))).trim());
            }
            command = sub;
        }
        command.usage(strata.out);
    }
}
