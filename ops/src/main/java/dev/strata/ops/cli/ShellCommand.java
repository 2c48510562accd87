package dev.strata.ops.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "shell", description = "Start an interactive shell ($SHELL, else /bin/sh) in a new runtime that sees REFS (--edit: with a writable scratch).")
final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    StrataCommand strata;

    @Mixin
    RuntimeSpec runtime;

    @Override
    public Integer call() throws Exception {
        String shell = strata.env.getOrDefault("SHELL", "/bin/sh");
        return RunCommand.runInRuntime(strata, RunCommand.request(strata, runtime), List.of(shell.isBlank() ? "/bin/sh" : shell), true);
    }
}
