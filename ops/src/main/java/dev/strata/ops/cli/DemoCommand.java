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
import dev.strata.ops.StrataHome;
import dev.strata.ops.daemon.Daemon;
import dev.strata.ops.daemon.DaemonAddress;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** The Quick start's main job: builds demo layers in the local repository and shows them off. */
@Command(name = "demo", description = "Import two demo layers, show their merged view, then run two isolated processes on a mount.")
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
            var b = importer.importDirectory(base, "demo/base", Map.of("strata.message", "demo base layer"), new Importer.Listener() { });
            var p = importer.importDirectory(patch, "demo/patch", Map.of("strata.message", "demo patch layer"), new Importer.Listener() { });
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
            showIsolatedRuns(scratch.resolve("mnt"));
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

    /** Starts a daemon on a private mount point and runs two process trees with different views side by side. */
    private void showIsolatedRuns(Path mountpoint) throws IOException {
        var out = strata.out;
        if (!"root".equals(System.getProperty("user.name")) || !Files.exists(Path.of("/dev/fuse"))) {
            out.println();
            out.println("(the mount part of the demo needs root and /dev/fuse; skipped)");
            return;
        }
        if (DaemonAddress.find(strata.home()).isPresent()) {
            out.println();
            out.println("(a daemon already serves this STRATA_HOME; the mount part of the demo starts its own, so it is skipped)");
            return;
        }
        section("strata service start --mountpoint " + mountpoint);
        Daemon daemon = Daemon.start(strata.home(), new Daemon.Options(mountpoint, true, strata.config().readers(), strata.config().socket()));
        try {
            section("strata run demo/base -- ...   and, at the same time,   strata run demo/base+demo/patch -- ...");
            String script = "for i in 1 2 3; do echo \"$STRATA_RUNTIME sees: $(cat " + mountpoint + "/etc/motd)\"; sleep 0.2; done; "
                    + "echo \"$STRATA_RUNTIME lists: $(ls " + mountpoint + "/etc | tr '\\n' ' ')\"";
            Process base = startRun("base", "demo/base", script);
            Process patched = startRun("patched", "demo/base+demo/patch", script);
            print(base);
            print(patched);
            out.println("outside any runtime, " + mountpoint + " is empty: " + listing(mountpoint));
        } finally {
            section("strata service stop");
            daemon.stop().toCompletableFuture().join();
            out.println("stopped; " + mountpoint + " is unmounted");
        }
    }

    private Process startRun(String name, String spec, String script) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.strata.ops.Main",
                "run", "--name", name, spec, "--", "sh", "-c", script).redirectErrorStream(true);
        pb.environment().putAll(strata.env);
        pb.environment().put(StrataHome.VARIABLE, strata.home().root().toString());
        return pb.start();
    }

    private void print(Process p) throws IOException {
        try {
            strata.out.print(new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lists the mount from another process: the daemon's own JVM never touches its mount point. */
    private static String listing(Path dir) throws IOException {
        Process ls = new ProcessBuilder("ls", "-A", dir.toString()).redirectErrorStream(true).start();
        String names = new String(ls.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        return "[" + names.replace("\n", ", ") + "]";
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
