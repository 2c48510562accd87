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
 * The kernel keeps entries, attributes and listings that every runtime agrees on (issue 16). These
 * prove such a kept answer never shows one view another's: two runtimes run at once and take turns
 * through files outside the mount; each prints what it sees, and the test compares.
 */
class SharedCacheTest {
    static DaemonFixture daemon;
    static Path turns;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture();
        daemon.layer("shared", "dir/file", "base", "dir/gone", "base", "dir/moved", "base", "dir/sub/deep", "deep",
                "dir/sub/more/deeper", "deeper");
        daemon.layer("other", "dir/file", "other content", "dir/only-other", "x");
        Path src = daemon.work.resolve("src-private");
        Files.createDirectories(src.resolve("private"));
        Files.writeString(src.resolve("private/secret"), "secret");
        Files.writeString(src.resolve("open"), "open");
        dev.strata.persistence.NativeFs.chmod(src.resolve("private"), 0700);
        daemon.strata.ok("import", src.toString(), "--tag", "private");
        turns = Files.createDirectories(daemon.work.resolve("turns"));
        dev.strata.persistence.NativeFs.chmod(turns, 0777);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** A shell line that waits (up to a minute) for {@code name} to exist in the turns directory. */
    private static String await(String name) {
        return "for i in $(seq 600); do [ -e " + turns.resolve(name) + " ] && break; sleep 0.1; done; ";
    }

    private static String signal(String name) {
        return "touch " + turns.resolve(name) + "; ";
    }

    /** What a view prints of dir/: its listing, each file's size and content, a directory's mode. */
    private static String look(String label) {
        return "echo " + label + " $(ls dir | tr '\\n' ' ') $(stat -c %s:%a dir/file) $(cat dir/file) $(stat -c %a dir/sub) "
                + "$(cat dir/sub/deep 2>&1) $(ls dir/sub 2>&1 | tr '\\n' ' '); ";
    }

    private static final String BASE = "file gone moved sub 4:644 base 755 deep deep more";

    private List<String> lines(Path out) throws Exception {
        return Files.readAllLines(out);
    }

    private Process edit(String spec, String script, Path out) throws Exception {
        Process p = daemon.strata.startWithOutput(out, "run", "--edit", spec, "--", "sh", "-c", script);
        return p;
    }

    @Test
    void aViewThatKeptAnEntryNeverSeesAnotherViewsChangeOfIt() throws Exception {
        String m = daemon.mountpoint.toString();
        Path readOut = daemon.work.resolve("kept-first-reader.out");
        Path editOut = daemon.work.resolve("kept-first-editor.out");
        // the reader walks everything first, so the kernel keeps it; then the editor changes it all
        Process reader = daemon.run("shared", "cd " + m + "; " + look("before") + "ls -lR dir >/dev/null; " + signal("k1")
                + await("k2") + look("after") + "ls -lR dir > /dev/null; " + look("again"), readOut);
        Process editor = edit("shared", "cd " + m + "; " + await("k1") + look("editor-before")
                + "echo more >> dir/file; rm dir/gone; mv dir/moved dir/renamed; chmod 700 dir/sub; touch dir/new; "
                + "rm dir/sub/deep; " + look("editor-after") + signal("k2"), editOut);
        assertEquals(0, DaemonFixture.await(editor), String.join("\n", lines(editOut)));
        assertEquals(0, DaemonFixture.await(reader));
        assertEquals(List.of("before " + BASE, "after " + BASE, "again " + BASE), lines(readOut));
        assertEquals(List.of("editor-before " + BASE,
                        "editor-after file new renamed sub 9:644 basemore 700 cat: dir/sub/deep: No such file or directory more"),
                lines(editOut));
        // the editor's changes made the kernel drop what it kept: attributes by notification, entries by a walk asked again
        String metrics = daemon.strata.ok("service", "status", "--metrics").out();
        assertTrue(MetricsTest.value(metrics, "strata_kept_answer_drops_total") > 0, metrics);
        assertTrue(MetricsTest.value(metrics, "strata_kept_answer_walks_asked_again_total") > 0, metrics);
        assertTrue(MetricsTest.value(metrics, "strata_kept_answers") >= 0 && MetricsTest.value(metrics, "strata_kept_answer_marks") >= 0, metrics);
    }

    @Test
    void aViewStartedAfterAnotherChangedAnEntrySeesTheBaseAndTheEditorItsChange() throws Exception {
        String m = daemon.mountpoint.toString();
        Path readOut = daemon.work.resolve("changed-first-reader.out");
        Path editOut = daemon.work.resolve("changed-first-editor.out");
        Process editor = edit("shared", "cd " + m + "; ls -lR dir >/dev/null; echo more >> dir/file; rm dir/gone; chmod 700 dir/sub; "
                + signal("c1") + await("c2") + look("editor") + "ls -lR dir >/dev/null; " + look("editor-again"), editOut);
        Process reader = daemon.run("shared", "cd " + m + "; " + await("c1") + look("reader") + "ls -lR dir >/dev/null; "
                + look("reader-again") + signal("c2"), readOut);
        assertEquals(0, DaemonFixture.await(reader));
        assertEquals(0, DaemonFixture.await(editor));
        assertEquals(List.of("reader " + BASE, "reader-again " + BASE), lines(readOut));
        String changed = "file moved sub 9:644 basemore 700 deep deep more";
        assertEquals(List.of("editor " + changed, "editor-again " + changed), lines(editOut));
    }

    @Test
    void aDirectoryRenamedInOneViewWhileAnotherWalksTheSamePath() throws Exception {
        String m = daemon.mountpoint.toString();
        Path walkOut = daemon.work.resolve("rename-walker.out");
        Path editOut = daemon.work.resolve("rename-editor.out");
        Process walker = daemon.run("shared", "cd " + m + "; " + signal("r1") + "for i in $(seq 300); do "
                + "[ \"$(cat dir/sub/deep)\" = deep ] || echo LEAK-deep; "
                + "[ \"$(cat dir/sub/more/deeper)\" = deeper ] || echo LEAK-deeper; "
                + "test -e dir/elsewhere && echo LEAK-renamed-visible; "
                + "test -e dir/elsewhere/deep && echo LEAK-renamed-child; "
                + "done; echo done", walkOut);
        Process editor = edit("shared", "cd " + m + "; " + await("r1") + "for i in $(seq 50); do "
                + "mv dir/sub dir/elsewhere || echo FAIL-mv; [ \"$(cat dir/elsewhere/deep)\" = deep ] || echo FAIL-moved; "
                + "test -e dir/sub && echo FAIL-old-visible; mv dir/elsewhere dir/sub || echo FAIL-back; "
                + "done; echo done", editOut);
        assertEquals(0, DaemonFixture.await(editor));
        assertEquals(0, DaemonFixture.await(walker));
        assertEquals(List.of("done"), lines(walkOut));
        assertEquals(List.of("done"), lines(editOut));
    }

    @Test
    void viewsOfOneBaseShareNodesUntilOneDiverges() throws Exception {
        String m = daemon.mountpoint.toString();
        Path aOut = daemon.work.resolve("share-a.out");
        Path bOut = daemon.work.resolve("share-b.out");
        String ids = "echo $(stat -c %i dir dir/sub dir/file); ";
        Process a = daemon.run("shared", "cd " + m + "; " + ids + "ls -l dir > /dev/null; " + signal("s1") + await("s2")
                + ids + "ls dir | tr '\\n' ' '; echo", aOut);
        Process b = edit("shared", "cd " + m + "; " + await("s1") + ids + "mkdir dir/added; touch dir/sub/x; echo new > dir/file; "
                + signal("s2") + "ls dir | tr '\\n' ' '; echo; ls dir/sub | tr '\\n' ' '; echo; " + ids, bOut);
        assertEquals(0, DaemonFixture.await(b));
        assertEquals(0, DaemonFixture.await(a));
        List<String> aLines = lines(aOut);
        List<String> bLines = lines(bOut);
        String[] before = aLines.get(0).split(" ");
        String[] editorBefore = bLines.get(0).split(" ");
        assertEquals(before[0], editorBefore[0], "one node for dir in both views");
        assertEquals(before[1], editorBefore[1], "one node for dir/sub in both views");
        // its directories keep their nodes; its file may get a new one (the kernel forgot it when the editor's replaced its entry)
        assertEquals(aLines.get(0).substring(0, aLines.get(0).lastIndexOf(' ')), aLines.get(1).substring(0, aLines.get(1).lastIndexOf(' ')),
                "the reader's directories keep their nodes: " + aLines);
        assertEquals("file gone moved sub ", aLines.get(2));
        assertEquals(List.of("added file gone moved sub ", "deep more x "), bLines.subList(1, 3));
        assertEquals(editorBefore[0], bLines.get(3).split(" ")[0], "the editor's dir keeps its inode number after it changed it");
    }

    @Test
    void aRuntimeOnAnotherBaseDoesNotSeeWhatTheKernelKeptForTheFirst() throws Exception {
        String m = daemon.mountpoint.toString();
        Path firstOut = daemon.work.resolve("base-first.out");
        Path secondOut = daemon.work.resolve("base-second.out");
        Process first = daemon.run("shared", "cd " + m + "; ls -lR dir > /dev/null; cat dir/file; echo; " + signal("b1") + await("b2")
                + "cat dir/file; echo; ls dir | tr '\\n' ' '; echo", firstOut);
        Process second = daemon.run("other", "cd " + m + "; " + await("b1") + "cat dir/file; echo; stat -c %s dir/file; "
                + "ls dir | tr '\\n' ' '; echo; test -e dir/sub/deep && echo LEAK; " + signal("b2"), secondOut);
        assertEquals(0, DaemonFixture.await(second));
        assertEquals(0, DaemonFixture.await(first));
        assertEquals(List.of("other content", "13", "file only-other "), lines(secondOut));
        assertEquals(List.of("base", "base", "file gone moved sub "), lines(firstOut));
    }

    @Test
    void anEditableRuntimeCopiesATreeAReadOnlyOneKeepsWithoutSeeingAFileChangeUnderIt() throws Exception {
        String m = daemon.mountpoint.toString();
        Path readOut = daemon.work.resolve("copy-reader.out");
        Path editOut = daemon.work.resolve("copy-editor.out");
        // cp compares a file's stat before and after opening it: the inode number must not move under it
        Process reader = daemon.run("shared", "cd " + m + "; ls -lR dir > /dev/null; " + signal("p1") + await("p2")
                + "ls -lR dir > /dev/null; echo done", readOut);
        Process editor = edit("shared", "cd " + m + "; " + await("p1") + "stat -c %i dir/file > /dev/null; cp -a dir copy 2>&1; "
                + "cat copy/file; echo; " + signal("p2"), editOut);
        assertEquals(0, DaemonFixture.await(editor));
        assertEquals(0, DaemonFixture.await(reader));
        assertEquals(List.of("base"), lines(editOut));
        assertEquals(List.of("done"), lines(readOut));
    }

    @Test
    void anEntryBelowADirectoryNotEveryoneMaySearchIsNeverKept() throws Exception {
        String m = daemon.mountpoint.toString();
        Path out = daemon.work.resolve("private.out");
        String asNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        Process p = daemon.run("private", "cd " + m + "; cat private/secret; echo; stat -c %s private/secret; stat -c %s open; "
                + asNobody + "stat -c %s private/secret 2>&1 | sed 's/.*: //'; " + asNobody + "cat open; echo", out);
        assertEquals(0, DaemonFixture.await(p));
        assertEquals(List.of("secret", "6", "4", "Permission denied", "open"), lines(out));
        assertTrue(!daemon.log().contains("a bug"));
    }
}
