package dev.strata.ops.cli;

import dev.strata.persistence.Digest;
import dev.strata.persistence.Repository;
import dev.strata.persistence.TagStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "tag", description = "Point tag NAME at REF; its previous target stays in its history as NAME~1. "
        + "Only the tag's creator (or root) may move it.", subcommands = TagCommand.Remove.class)
final class TagCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF", description = "A tag, tag~N, digest or digest prefix.")
    String ref;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "The tag to set.")
    String name;

    @Override
    public void run() {
        if (ref == null || name == null) {
            throw new picocli.CommandLine.ParameterException(strata.spec.commandLine().getSubcommands().get("tag"),
                    "tag needs REF and NAME: strata tag REF NAME (or strata tag rm NAME)");
        }
        Repository repo = strata.home().repository();
        Digest target = repo.resolve(ref);
        repo.tags().set(name, target);
        strata.out.println(name + " -> " + target.hex());
    }

    @Command(name = "rm", description = "Remove tag NAME and its history, so clean can reclaim what only it reached.")
    static final class Remove implements Runnable {
        @ParentCommand
        TagCommand parent;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            parent.strata.home().repository().tags().remove(name, TagStore.processUid());
            parent.strata.err.println("strata: tag " + name + " removed");
        }
    }
}
