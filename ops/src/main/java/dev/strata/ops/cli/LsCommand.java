package dev.strata.ops.cli;

import dev.strata.engine.DirEntry;
import dev.strata.engine.FsException;
import dev.strata.engine.Permissions;
import dev.strata.engine.View;
import dev.strata.persistence.EntryKind;
import dev.strata.persistence.RepositoryException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "ls", description = "List a path of the merged view of REFS, like ls -l.")
final class LsCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "REFS", description = "An env spec: ref[+ref...], bottom-up.")
    String refs;

    @Parameters(index = "1", paramLabel = "PATH", defaultValue = "/", description = "Default: the root.")
    String path;

    @Override
    public void run() {
        View view = Views.load(strata.repository(), refs);
        Permissions.Credentials who = strata.reader();
        try {
            int node = view.resolve(path, false, who);
            if (!view.isDirectory(node)) {
                strata.out.println(line(view, node, path));
                return;
            }
            // as ls -l through the mount: reading the names takes read, their attributes search
            if (who != null && !Permissions.allows(view.attributes(node), who, Permissions.READ | Permissions.EXECUTE)) {
                throw new FsException(dev.strata.engine.Errno.EACCES, "permission denied");
            }
            for (DirEntry e : view.readdir(node, 2, Integer.MAX_VALUE)) {
                strata.out.println(line(view, e.node(), e.nameString()));
            }
        } catch (FsException e) {
            throw new RepositoryException("cannot list " + path + " of " + refs + ": " + e.getMessage());
        }
    }

    private static String line(View view, int node, String name) throws FsException {
        String shown = view.kind(node) == EntryKind.SYMLINK
                ? name + " -> " + new String(view.readlink(node), StandardCharsets.UTF_8) : name;
        return Format.lsLine(view.attributes(node), shown);
    }
}
