package dev.strata.ops.cli;

import dev.strata.persistence.Importer;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "import", description = "Store a directory as a layer and print its digest.")
final class ImportCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "DIR", description = "The directory to import.")
    Path dir;

    @Option(names = "--tag", paramLabel = "NAME", description = "Point this tag at the new layer.")
    String tag;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "A message kept with the layer.")
    String message;

    @Override
    public void run() {
        Map<String, String> annotations = new TreeMap<>();
        if (message != null) {
            annotations.put("strata.message", message); // the key commit uses too
        }
        Importer importer = new Importer(strata.home().repository());
        Importer.Result r;
        try (Progress progress = Progress.start(strata, "import")) {
            r = importer.importDirectory(dir, tag, annotations, progress);
        }
        strata.err.printf("imported %s (%s, %s) as layer %s%s%n", Format.count(r.entries(), "entry"),
                Format.count(r.files(), "file"),
                Format.bytes(r.bytes()), r.layer().shortHex(), tag == null ? "" : ", tagged " + tag);
        strata.out.println(r.layer().hex());
    }

    /** A byte-counting progress bar on a terminal; silent in a pipe. */
    static final class Progress implements Importer.Listener, AutoCloseable {
        private final StrataCommand strata;
        private final String task;
        private ProgressBar bar;

        private Progress(StrataCommand strata, String task) {
            this.strata = strata;
            this.task = task;
        }

        static Progress start(StrataCommand strata, String task) {
            return new Progress(strata, task);
        }

        @Override
        public void scanned(long files, long bytes) {
            if (strata.interactive()) {
                bar = new me.tongfei.progressbar.ProgressBarBuilder().setTaskName(task).setInitialMax(bytes)
                        .setUnit("MiB", 1 << 20).showSpeed()
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(strata.err)).build();
            }
        }

        @Override
        public void hashed(long bytes) {
            if (bar != null) {
                bar.stepBy(bytes);
            }
        }

        @Override
        public void skipped(Path path, String why) {
            strata.err.println("strata: skipped " + path + ": " + why);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
