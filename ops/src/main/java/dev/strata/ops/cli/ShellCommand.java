package dev.strata.ops.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "shell", description = "Start an interactive shell ($SHELL, else /bin/sh) in a new runtime that sees REFS.")
final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--name", paramLabel = "N", description = "Name the runtime (default run-PID).")
    String name;

    @Parameters(index = "0", paramLabel = "REFS", description = "An env spec: ref[+ref...], bottom-up.")
    String refs;

    @Override
    public Integer call() throws Exception {
        String shell = strata.env.getOrDefault("SHELL", "/bin/sh");
        return RunCommand.runInRuntime(strata, refs, name, List.of(shell.isBlank() ? "/bin/sh" : shell));
    }
}
