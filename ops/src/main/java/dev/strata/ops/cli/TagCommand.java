package dev.strata.ops.cli;

import dev.strata.persistence.Digest;
import dev.strata.persistence.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "tag", description = "Point tag NAME at REF; its previous target stays in its history as NAME~1.")
final class TagCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "REF", description = "A tag, tag~N, digest or digest prefix.")
    String ref;

    @Parameters(index = "1", paramLabel = "NAME", description = "The tag to set.")
    String name;

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        Digest target = repo.resolve(ref);
        repo.tags().set(name, target);
        strata.out.println(name + " -> " + target.hex());
    }
}
