package dev.strata.ops.cli;

import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "completion", description = "Print a shell completion script generated from the command model: "
        + "source <(strata completion bash), or for zsh: source <(strata completion zsh).")
final class CompletionCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SHELL", description = "bash (default) or zsh.")
    String shell = "bash";

    @Override
    public void run() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new UsageException("completion is generated for bash and zsh, not '" + shell + "'");
        }
        String script = AutoComplete.bash("strata", StrataCommand.commandLine(Map.of(), strata.out, strata.err));
        if (shell.equals("zsh")) {
            // the bash script runs in zsh through its bash completion emulation
            strata.out.println("autoload -U +X compinit && compinit");
            strata.out.println("autoload -U +X bashcompinit && bashcompinit");
        }
        strata.out.print(script);
    }
}
