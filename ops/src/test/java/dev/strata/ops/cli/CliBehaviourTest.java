package dev.strata.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as its users meet it: help everywhere, usage errors with their command's usage and exit code 2. */
class CliBehaviourTest {
    @TempDir
    Path home;

    private record Run(int exit, String out, String err) {
    }

    private Run strata(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = StrataCommand.execute(args, Map.of("STRATA_HOME", home.toString(), "HOME", home.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandAndSubcommandAnswersHelpAndHelpNamesIt() {
        List<String> paths = StrataCommand.commandPaths();
        assertTrue(paths.contains("service start") && paths.contains("branch exec") && paths.contains("tag rm"), paths.toString());
        for (String path : paths) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(List.of(path.split(" ")));
                args.add(flag);
                Run r = strata(args.toArray(String[]::new));
                assertEquals(0, r.exit(), path + " " + flag + ": " + r.err());
                assertTrue(r.out().startsWith("Usage: strata " + path), path + " " + flag + ": " + r.out());
            }
            Run help = strata(("help " + path).split(" "));
            assertEquals(0, help.exit(), "help " + path + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: strata " + path), "help " + path + ": " + help.out());
        }
    }

    @Test
    void usageErrorsPrintThatCommandsUsageAndExitTwo() {
        Run unknown = strata("import", "--bogus", "dir");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("Unknown option: '--bogus'") && unknown.err().contains("Usage: strata import"), unknown.err());
        for (String group : List.of("snapshot", "branch", "runtime", "service")) {
            Run bare = strata(group);
            assertEquals(2, bare.exit(), group);
            assertTrue(bare.err().contains("Usage: strata " + group), bare.err());
        }
        Run malformed = strata("ls", "a++b");
        assertEquals(2, malformed.exit(), malformed.err());
        assertTrue(malformed.err().contains("strata: empty ref in env spec 'a++b'"), malformed.err());
        assertEquals(2, strata("help", "no-such-command").exit());
    }

    @Test
    void failuresNameTheProblemAndExitOne() {
        Run missing = strata("import", home.resolve("nonexistent").toString(), "--tag", "t");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file or directory"), missing.err());
        Run check = strata("check");
        assertEquals(0, check.exit(), check.err());
        assertTrue(check.err().contains("checked 0 objects and 0 blobs"), check.err());
        Run noDaemon = strata("service", "status");
        assertEquals(1, noDaemon.exit());
        assertTrue(noDaemon.err().contains("start one with: strata service start"), noDaemon.err());
    }

    @Test
    void theDaemonRunsOnlyCommandsThatTalkToItAndReadsNoFileForThem() {
        List<String> asked = new ArrayList<>();
        dev.strata.protocol.StrataControl control = (dev.strata.protocol.StrataControl) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {dev.strata.protocol.StrataControl.class}, (proxy, method, args) -> {
                    asked.add(method.getName() + " " + args[0].toString().trim().replace('\n', ' '));
                    return java.util.concurrent.CompletableFuture.failedFuture(
                            io.grpc.Status.NOT_FOUND.withDescription("nothing here").asRuntimeException());
                });
        for (String refused : List.of("import /etc --tag x", "ls base", "diff a b", "service start", "service stop", "run base -- true",
                "render base /tmp/x", "help", "tags", "runtime list --help")) {
            StrataCommand.Output o = StrataCommand.executeFor(refused.split(" "), control, 42);
            assertEquals(2, o.exit(), refused);
        }
        assertTrue(asked.isEmpty(), asked.toString());
        StrataCommand.Output remove = StrataCommand.executeFor(new String[] {"runtime", "remove", "@/etc/hostname"}, control, 42);
        assertEquals(1, remove.exit());
        assertEquals(List.of("removeRuntime name: \"@/etc/hostname\""), asked, "an @file argument is a name, never a file read");
        StrataCommand.Output diff = StrataCommand.executeFor(new String[] {"diff"}, control, 4242);
        assertEquals(1, diff.exit());
        assertEquals("diff pid: 4242", asked.get(1), "commit and diff act for the calling process");
    }

    @Test
    void completionScriptsComeFromTheCommandModel() throws Exception {
        Run bash = strata("completion", "bash");
        assertEquals(0, bash.exit(), bash.err());
        for (String command : List.of("snapshot", "branch", "runtime", "completion")) {
            assertTrue(bash.out().contains(command), command);
        }
        Path script = home.resolve("strata-completion.bash");
        java.nio.file.Files.writeString(script, bash.out());
        Process check = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertEquals(0, check.waitFor(), new String(check.getInputStream().readAllBytes()));
        // completing "strata snap" in a real bash offers "snapshot"
        Process complete = new ProcessBuilder("bash", "-c", "source " + script + " && COMP_WORDS=(strata snap) COMP_CWORD=1 COMP_LINE='strata snap' "
                + "COMP_POINT=11 && _complete_strata && printf '%s\\n' \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
        String offered = new String(complete.getInputStream().readAllBytes());
        assertEquals(0, complete.waitFor(), offered);
        assertTrue(offered.contains("snapshot"), offered);
        Run zsh = strata("completion", "zsh");
        assertTrue(zsh.out().startsWith("autoload -U +X compinit"), zsh.out());
        assertEquals(2, strata("completion", "fish").exit());
    }
}
