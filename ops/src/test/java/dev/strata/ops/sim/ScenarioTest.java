package dev.strata.ops.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scenario files: the shipped ones read, and a mistake is named before any agent starts. */
class ScenarioTest {
    private static Scenario parse(String hocon) {
        return Scenario.parse(ConfigFactory.parseString(hocon), "test");
    }

    private static String refused(String hocon) {
        return assertThrows(IllegalArgumentException.class, () -> parse(hocon)).getMessage();
    }

    @Test
    void theShippedScenariosRead() {
        for (String name : new String[] {"smoke", "ci-farm", "agents-200", "exec-storm"}) {
            Scenario s = Scenario.read(Path.of("../sim", name + ".conf"));
            assertEquals(name, s.name());
            assertTrue(s.agents() > 0 && !s.mix().isEmpty(), name);
        }
        Scenario farm = Scenario.read(Path.of("../sim/ci-farm.conf"));
        assertEquals(1 << 20, farm.mix().get(0).bytes("object-bytes", 0), "sizes read with their unit");
    }

    @Test
    void arrivalsSpreadAgentsAsAsked() {
        Scenario ramp = parse("agents = 4, arrival { mode = ramp, over = 8s }, mix = [ { personality = exec } ]");
        assertEquals(Duration.ofSeconds(6), ramp.arrival().offset(3, 4));
        Scenario rate = parse("agents = 4, arrival { mode = rate, per-second = 2 }, mix = [ { personality = exec } ]");
        assertEquals(Duration.ofMillis(1500), rate.arrival().offset(3, 4));
        Scenario same = parse("agents = 50, seed = 9, mix = [ { personality = exec, weight = 1 }, { personality = churn, weight = 3 } ]");
        assertEquals(same.personalityOf(17), same.with(null, null, null).personalityOf(17), "the same seed draws the same personality");
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(refused("mix = [ { personality = sleeper } ]").contains("unknown personality 'sleeper'"));
        assertTrue(refused("mix = [ { personality = agent, commit = 0.5 } ]").contains("agent has no setting 'commit'"));
        assertTrue(refused("mix = [ { personality = build, reads = many } ]").contains("reads"));
        assertTrue(refused("mix = [ { personality = agent, commit-chance = 3 } ]").contains("out of range"));
        assertTrue(refused("agents = 0, mix = [ { personality = exec } ]").contains("agents must be 1 to 2000"));
        assertTrue(refused("duration = 10ms, mix = [ { personality = exec } ]").contains("duration"));
        assertTrue(refused("arrival { mode = burst }, mix = [ { personality = exec } ]").contains("arrival.mode"));
        assertTrue(refused("agents = 2").contains("needs a mix"));
        String hostile = "x".repeat(4096);
        String message = refused("mix = [ { personality = \"" + hostile + "\" } ]");
        assertTrue(message.length() < 200, "a long input is quoted short: " + message.length());
    }

    @Test
    void aFileThatIsNotAScenarioIsRefused(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.conf");
        Files.write(big, new byte[(int) Scenario.MAX_FILE_BYTES + 1]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Scenario.read(big)).getMessage().contains("larger than 1 MiB"));
        Path broken = dir.resolve("broken.conf");
        Files.writeString(broken, "mix = [ {");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Scenario.read(broken)).getMessage().contains("broken.conf"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Scenario.read(dir.resolve("none.conf"))).getMessage()
                .contains("cannot read scenario"));
    }
}
