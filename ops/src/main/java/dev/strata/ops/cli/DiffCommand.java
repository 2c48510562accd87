package dev.strata.ops.cli;

import dev.strata.engine.FsException;
import dev.strata.engine.Permissions;
import dev.strata.engine.View;
import dev.strata.engine.ViewDiff;
import dev.strata.persistence.Repository;
import dev.strata.protocol.DiffReply;
import dev.strata.protocol.DiffRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "diff", description = {"List paths added (+), removed (-) and changed (~) from REFS_A to REFS_B.",
        "Without REFS, inside an editable runtime: what its scratch changed."})
final class DiffCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REFS_A")
    String a;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REFS_B")
    String b;

    @Override
    public void run() {
        if (a == null) {
            scratch();
            return;
        }
        if (b == null) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine(), "diff needs two env specs, or none inside a runtime");
        }
        Repository repo = strata.repository();
        View before = Views.load(repo, a);
        View after = Views.load(repo, b);
        Permissions.Credentials who = strata.reader();
        for (ViewDiff.Change c : ViewDiff.diff(before.manifest(), after.manifest())) {
            if (who == null || listable(c.kind() == ViewDiff.Kind.REMOVED ? before : after, c.path(), who)) {
                strata.out.println(c);
            }
        }
    }

    /** Whether {@code who} could list the directory holding {@code path} in {@code view}, as through the mount. */
    private static boolean listable(View view, String path, Permissions.Credentials who) {
        if (path.isEmpty()) {
            return true;
        }
        int slash = path.lastIndexOf('/');
        try {
            int dir = view.resolve("/" + (slash < 0 ? "" : path.substring(0, slash)), true, who);
            return Permissions.allows(view.attributes(dir), who, Permissions.READ);
        } catch (FsException e) {
            return false;
        }
    }

    /** The scratch's changes, in the same notation as a diff of two specs. */
    private void scratch() {
        print(strata, DaemonClient.once(strata, c -> c.diff(DiffRequest.newBuilder().setPid(strata.callerPid()).build())));
    }

    static void print(StrataCommand strata, DiffReply reply) {
        for (DiffReply.Change c : reply.getChangesList()) {
            char mark = switch (c.getStatus()) {
                case "A" -> '+';
                case "D" -> '-';
                default -> '~';
            };
            strata.out.println(mark + " /" + c.getPath());
        }
    }
}
