package dev.strata.ops.cli;

import dev.strata.persistence.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "tags", description = "List tags and their current targets.")
final class TagsCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        for (String name : repo.tags().names()) {
            strata.out.println(repo.tags().resolve(name, 0).hex() + "  " + name);
        }
    }
}
