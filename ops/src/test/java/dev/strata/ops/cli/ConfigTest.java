package dev.strata.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.ops.StrataConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration precedence: default < system file < home file < environment < flag. */
class ConfigTest {
    @TempDir
    Path dir;

    @Test
    void eachLevelOverridesTheOneBelowAndSaysWhereAValueCameFrom() throws Exception {
        Path system = dir.resolve("system.conf");
        Path home = dir.resolve("var/lib/strata");
        Files.createDirectories(home);
        Files.writeString(system, "strata { home = \"" + home + "\", mountpoint = /from-system, readers = 3 }\n");
        Files.writeString(home.resolve("strata.conf"), "strata.mountpoint = /from-home\nstrata.home = /ignored-here\n");
        Map<String, String> env = new HashMap<>(Map.of("HOME", dir.toString(), "STRATA_SYSTEM_CONFIG", system.toString()));

        StrataConfig files = StrataConfig.load(env);
        assertEquals(home.toString(), files.get("home"), "the system file says where the home is: service and CLI agree");
        assertEquals("/from-home", files.get("mountpoint"));
        assertEquals(home.resolve("strata.conf").toString(), files.values().get("mountpoint").source());
        assertEquals(3, files.readers());
        assertEquals(system.toString(), files.values().get("readers").source());
        assertEquals(home.resolve("daemon/control.sock").toAbsolutePath(), files.socket());
        assertEquals("default", files.values().get("passthrough").source());

        env.put("STRATA_MOUNTPOINT", "/from-env");
        env.put("STRATA_READERS", "5");
        StrataConfig withEnv = StrataConfig.load(env);
        assertEquals("/from-env", withEnv.get("mountpoint"));
        assertEquals("env STRATA_MOUNTPOINT", withEnv.values().get("mountpoint").source());
        assertEquals(5, withEnv.readers());

        assertEquals(Path.of("/from-flag"), ServiceCommand.effective(Path.of("/from-flag"), withEnv.mountpoint()), "a flag wins");
        assertEquals(Path.of("/from-env"), ServiceCommand.effective(null, withEnv.mountpoint()));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, StrataCommand.execute(new String[] {"config"}, env, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("strata.mountpoint") && printed.contains("/from-env") && printed.contains("# env STRATA_MOUNTPOINT"), printed);
        assertTrue(printed.contains("# " + system), printed);
    }

    @Test
    void aMalformedFileIsNamedAndNothingRuns() throws Exception {
        Path system = dir.resolve("bad.conf");
        Files.writeString(system, "strata { mountpoint = \n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = StrataCommand.execute(new String[] {"config"}, Map.of("HOME", dir.toString(), "STRATA_SYSTEM_CONFIG", system.toString()),
                System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("the configuration " + system + " is malformed"), err.toString());
    }
}
