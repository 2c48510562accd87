package dev.strata.ops.cli;

import dev.strata.engine.ViewDiff;
import dev.strata.persistence.Checker;
import dev.strata.persistence.Importer;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** The Quick start's main job: builds demo layers in the local repository and shows them off. */
@Command(name = "demo", description = "Import two demo layers into the local repository and show their merged view.")
final class DemoCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("strata-demo-");
            Path base = writeBase(scratch.resolve("base"));
            Path patch = writePatch(scratch.resolve("patch"));
            var out = strata.out;
            out.println("== repository: " + repo.root());
            Importer importer = new Importer(repo);
            var b = importer.importDirectory(base, "demo/base", Map.of("message", "demo base layer"), new Importer.Listener() { });
            var p = importer.importDirectory(patch, "demo/patch", Map.of("message", "demo patch layer"), new Importer.Listener() { });
            out.println("imported demo/base  = " + b.layer().shortHex() + " (" + b.entries() + " entries)");
            out.println("imported demo/patch = " + p.layer().shortHex() + " (" + p.entries() + " entries, one whiteout)");
            section("strata ls demo/base+demo/patch /etc");
            run("ls", "demo/base+demo/patch", "/etc");
            section("strata diff demo/base demo/base+demo/patch");
            for (ViewDiff.Change c : ViewDiff.diff(Views.load(repo, "demo/base").manifest(), Views.load(repo, "demo/base+demo/patch").manifest())) {
                out.println(c);
            }
            Path rendered = scratch.resolve("rendered");
            new Renderer(repo).render(Views.load(repo, "demo/base+demo/patch").manifest(), rendered, Renderer.Mode.COPY);
            section("strata render demo/base+demo/patch DIR; cat DIR/etc/motd");
            out.print(Files.readString(rendered.resolve("etc/motd")));
            Checker.Report report = new Checker(repo).check();
            section("strata check");
            out.println(report.ok() ? report.objects() + " objects and " + report.blobs() + " blobs verified" : String.join("\n", report.problems()));
            out.println();
            out.println("Try: STRATA_HOME=" + strata.home().root() + " bin/strata ls demo/base /etc");
        } catch (IOException e) {
            throw new UncheckedIOException("the demo could not write its sources: " + e.getMessage(), e);
        } finally {
            if (scratch != null) {
                Renderer.deleteTree(scratch);
            }
        }
    }

    private void section(String title) {
        strata.out.println();
        strata.out.println("$ " + title);
    }

    private void run(String... args) {
        StrataCommand.execute(args, strata.env, strata.out, strata.err);
    }

    private static Path writeBase(Path root) throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("bin"));
        Files.writeString(root.resolve("etc/motd"), "Welcome to the demo base layer.\n");
        Files.writeString(root.resolve("etc/os-release"), "NAME=strata-demo\nVERSION=1\n");
        Files.writeString(root.resolve("etc/obsolete.conf"), "setting=old\n");
        Files.writeString(root.resolve("bin/hello"), "#!/bin/sh\necho hello from the base layer\n");
        Files.setAttribute(root.resolve("bin/hello"), "unix:mode", 0755);
        Files.createSymbolicLink(root.resolve("bin/hi"), Path.of("hello"));
        return root;
    }

    private static Path writePatch(Path root) throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/motd"), "Welcome to the demo: the patch layer replaced this file.\n");
        Files.writeString(root.resolve("etc/.wh.obsolete.conf"), "");
        Files.writeString(root.resolve("etc/new.conf"), "setting=new\n");
        return root;
    }
}
