package dev.strata.ops.cli;

import dev.strata.persistence.Repository;
import dev.strata.persistence.TagStore;
import dev.strata.persistence.UnknownRefException;
import java.time.format.DateTimeFormatter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "log", description = "Show a tag's history, newest first.")
final class LogCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
    boolean json;

    @Override
    public void run() {
        Repository repo = strata.repository();
        List<TagStore.TagEntry> history = repo.tags().history(name);
        if (history.isEmpty()) {
            throw new UnknownRefException("unknown tag '" + name + "'");
        }
        if (json) {
            java.util.List<java.util.Map<String, Object>> entries = new java.util.ArrayList<>();
            for (int i = 0; i < history.size(); i++) {
                TagStore.TagEntry e = history.get(i);
                java.util.Map<String, Object> entry = new java.util.LinkedHashMap<>();
                entry.put("ref", name + "~" + i);
                entry.put("digest", e.target().hex());
                entry.put("time", DateTimeFormatter.ISO_INSTANT.format(e.time()));
                entry.put("by", e.by());
                entries.add(entry);
            }
            Json.print(strata, java.util.Map.of("tag", name, "history", entries));
            return;
        }
        for (int i = 0; i < history.size(); i++) {
            TagStore.TagEntry e = history.get(i);
            strata.out.printf("%-24s %s  %s%n", name + "~" + i, e.target().hex(), DateTimeFormatter.ISO_INSTANT.format(e.time()));
        }
    }
}
