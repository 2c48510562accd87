package dev.strata.ops.cli;

import dev.strata.protocol.ListRequest;
import dev.strata.protocol.RemoveRuntimeRequest;
import dev.strata.protocol.RuntimeInfo;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "runtime", description = "List, describe and remove runtimes, running or (durable) at rest.",
        subcommands = {RuntimeCommand.ListAll.class, RuntimeCommand.Info.class, RuntimeCommand.Remove.class})
final class RuntimeCommand {
    @ParentCommand
    StrataCommand strata;

    private static List<RuntimeInfo> all(StrataCommand strata) {
        return DaemonClient.once(strata, c -> c.list(ListRequest.newBuilder().setIncludeStopped(true).build())).getRuntimesList();
    }

    private static String kind(RuntimeInfo r) {
        return (r.getEditable() ? "editable" : "read-only") + (r.getDurable() ? ",durable" : "");
    }

    @Command(name = "list", description = "Every runtime you own (root: all), with its state, kind and owner.")
    static final class ListAll implements Runnable {
        @ParentCommand
        RuntimeCommand parent;

        @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
        boolean json;


        @Override
        public void run() {
            if (json) {
                Json.print(parent.strata, dev.strata.protocol.ListReply.newBuilder().addAllRuntimes(all(parent.strata)));
                return;
            }
            for (RuntimeInfo r : all(parent.strata)) {
                parent.strata.out.printf("%-24s %-8s %-18s uid %-6d %s%n", r.getName(), r.getRunning() ? "running" : "at rest", kind(r),
                        r.getOwnerUid(), r.getEnvSpec());
            }
        }
    }

    @Command(name = "info", description = "What runtime NAME is: state, kind, owner, spec and layers.")
    static final class Info implements Runnable {
        @ParentCommand
        RuntimeCommand parent;

        @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
        boolean json;


        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            RuntimeInfo r = all(parent.strata).stream().filter(x -> x.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new dev.strata.persistence.RepositoryException("no runtime named '" + name + "' (of yours)"));
            if (json) {
                Json.print(parent.strata, r);
                return;
            }
            var out = parent.strata.out;
            out.println("name:     " + r.getName());
            out.println("state:    " + (r.getRunning() ? "running, root pid " + r.getRootPid() + ", since "
                    + Instant.ofEpochMilli(r.getStartedAtEpochMs()) : "at rest"));
            out.println("kind:     " + kind(r));
            out.println("owner:    uid " + r.getOwnerUid());
            out.println("spec:     " + r.getEnvSpec());
            out.println("layers:   " + String.join(" ", r.getLayersList()));
        }
    }

    @Command(name = "remove", description = "End runtime NAME if it runs and remove it with its scratch (a durable one too).")
    static final class Remove implements Runnable {
        @ParentCommand
        RuntimeCommand parent;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            DaemonClient.once(parent.strata, c -> c.removeRuntime(RemoveRuntimeRequest.newBuilder().setName(name).build()));
            parent.strata.err.println("strata: runtime " + name + " removed");
        }
    }
}
