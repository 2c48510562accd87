package dev.strata.ops.cli;

import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "mount", description = "Give an existing process tree (rooted at --pid) the view of REFS; its later children follow.")
final class MountCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--pid", required = true, paramLabel = "P", description = "The root process of the tree.")
    int pid;

    @Mixin
    RuntimeSpec runtime;

    @Override
    public void run() {
        try (DaemonClient client = DaemonClient.connect(strata)) {
            MountRequest request = RunCommand.request(strata, runtime).setRootPid(pid).build();
            RuntimeInfo r = client.call(c -> c.mount(request));
            strata.out.println(r.getName());
        }
    }
}
