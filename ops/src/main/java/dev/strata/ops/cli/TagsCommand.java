package dev.strata.ops.cli;

import dev.strata.persistence.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "tags", description = "List tags and their current targets.")
final class TagsCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
    boolean json;

    @Override
    public void run() {
        Repository repo = strata.repository();
        if (json) {
            java.util.List<java.util.Map<String, String>> tags = new java.util.ArrayList<>();
            for (String name : repo.tags().names()) {
                tags.add(java.util.Map.of("name", name, "digest", repo.tags().resolve(name, 0).hex()));
            }
            Json.print(strata, java.util.Map.of("tags", tags));
            return;
        }
        for (String name : repo.tags().names()) {
            strata.out.println(repo.tags().resolve(name, 0).hex() + "  " + name);
        }
    }
}
