package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Directory dentries are cached briefly and a request with another view's directory node is
 * answered ESTALE. Proved here with the hardest case: at the same path one view has a directory and
 * the other a file, and both walk it over and over at the same time.
 */
class DirectoryDentryTest {
    static DaemonFixture daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        daemon.layer("thing-dir", "thing/inside", "inside the directory", "thing/sub/deep", "deep", "tool/run", "#!/bin/sh\necho dir-view\n");
        daemon.layer("thing-file", "thing", "a plain file", "tool", "not a directory either");
        Path runDir = daemon.work.resolve("src-thing-dir/tool/run");
        dev.strata.persistence.NativeFs.chmod(runDir, 0755);
        daemon.strata.ok("import", daemon.work.resolve("src-thing-dir").toString(), "--tag", "thing-dir");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void aDirectoryInOneViewAndAFileInAnotherNeverLeak() throws Exception {
        String m = daemon.mountpoint.toString();
        String dirLoop = "for i in $(seq 150); do "
                + "test -d " + m + "/thing || echo LEAK-not-dir; "
                + "cat " + m + "/thing/inside >/dev/null || echo LEAK-no-inside; "
                + "[ \"$(cat " + m + "/thing/sub/deep)\" = deep ] || echo LEAK-deep; "
                + "[ \"$(ls " + m + "/thing | tr '\\n' ' ')\" = 'inside sub ' ] || echo LEAK-listing; "
                + "(cd " + m + "/thing/sub && [ \"$(cat deep)\" = deep ]) || echo LEAK-cd; "
                + "[ \"$(" + m + "/tool/run)\" = dir-view ] || echo LEAK-exec; "
                + "done; echo done";
        String fileLoop = "for i in $(seq 150); do "
                + "test -f " + m + "/thing || echo LEAK-not-file; "
                + "[ \"$(cat " + m + "/thing)\" = 'a plain file' ] || echo LEAK-content; "
                + "test -e " + m + "/thing/inside && echo LEAK-inside-visible; "
                + "test -e " + m + "/thing/sub/deep && echo LEAK-deep-visible; "
                + "[ \"$(cat " + m + "/tool)\" = 'not a directory either' ] || echo LEAK-tool; "
                + "done; echo done";
        Path dirOut = daemon.work.resolve("dentry-dir.out");
        Path fileOut = daemon.work.resolve("dentry-file.out");
        Process dir = daemon.run("thing-dir", dirLoop, dirOut);
        Process file = daemon.run("thing-file", fileLoop, fileOut);
        assertEquals(0, DaemonFixture.await(dir));
        assertEquals(0, DaemonFixture.await(file));
        List<String> dirLines = Files.readAllLines(dirOut);
        List<String> fileLines = Files.readAllLines(fileOut);
        assertEquals(List.of("done"), dirLines, "the directory view saw: " + dirLines);
        assertEquals(List.of("done"), fileLines, "the file view saw: " + fileLines);
        assertTrue(!Files.readString(daemon.work.resolve("daemon.log")).contains("a bug"));
    }
}
