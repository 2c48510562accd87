package dev.strata.ops.cli;

import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "render", description = "Materialize the merged view of REFS as a real directory DIR (new or empty).")
final class RenderCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "REFS")
    String refs;

    @Parameters(index = "1", paramLabel = "DIR")
    Path dir;

    @Option(names = "--link", description = "Hard-link files into the store: fast and read-only; file owners and times are the store's.")
    boolean link;

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        new Renderer(repo).render(Views.load(repo, refs).manifest(), dir, link ? Renderer.Mode.LINK : Renderer.Mode.COPY);
        strata.err.println("rendered " + refs + " into " + dir);
    }
}
