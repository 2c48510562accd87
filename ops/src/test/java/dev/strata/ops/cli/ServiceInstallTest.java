package dev.strata.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `strata service install`: the systemd unit and launchd job, filled in, checked, written whole. */
class ServiceInstallTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run strata(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("HOME", dir.toString(), "STRATA_HOME", dir.resolve("home").toString(),
                "STRATA_SYSTEM_CONFIG", dir.resolve("none.conf").toString());
        int exit = StrataCommand.execute(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theUnitRunsTheInstalledStrataOnTheMountpointWithItsHome() {
        Run unit = strata("service", "install", "--print", "--for", "linux", "--prefix", "/opt/s", "--mountpoint", "/views",
                "--home", "/srv/strata");
        assertEquals(0, unit.exit(), unit.err());
        assertTrue(unit.out().contains("ExecStart=/opt/s/bin/strata service start --mountpoint /views\n"), unit.out());
        assertTrue(unit.out().contains("ExecStop=/opt/s/bin/strata service stop\n"), unit.out());
        assertTrue(unit.out().contains("Environment=STRATA_HOME=/srv/strata\n"), unit.out());
        assertFalse(unit.out().contains("@"), "every value is filled in:\n" + unit.out());

        Run job = strata("service", "install", "--print", "--for", "macos", "--prefix", "/opt/s&t", "--mountpoint", "/Volumes/strata");
        assertEquals(0, job.exit(), job.err());
        assertTrue(job.out().contains("<string>/opt/s&amp;t/bin/strata</string>"), job.out());
        assertTrue(job.out().contains("<string>/Volumes/strata</string>") && job.out().contains("<string>/var/lib/strata</string>"), job.out());
    }

    @Test
    void theFileIsWrittenWholeAndReadableByAll() throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("opt/strata/bin"));
        Files.writeString(prefix.resolve("strata"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(prefix.resolve("strata"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path units = Files.createDirectories(dir.resolve("units"));
        Run written = strata("service", "install", "--for", "linux", "--prefix", dir.resolve("opt/strata").toString(), "--to",
                units.toString(), "--mountpoint", "/strata");
        assertEquals(0, written.exit(), written.err());
        Path unit = units.resolve("strata.service");
        assertTrue(Files.readString(unit).contains("ExecStart=" + dir.resolve("opt/strata") + "/bin/strata service start --mountpoint /strata"));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(unit)));
        assertTrue(written.out().contains("systemctl daemon-reload && systemctl enable --now strata"), written.out());
        try (var left = Files.list(units)) {
            assertEquals(1, left.count(), "no temporary file is left");
        }
    }

    @Test
    void valuesTheServiceFileCannotHoldAreRefusedByName() {
        String[][] bad = {
            {"--mountpoint", "relative/dir", "--mountpoint must be an absolute path"},
            {"--mountpoint", "/two words", "--mountpoint cannot hold whitespace"},
            {"--home", "/var/lib/$HOME", "--home cannot hold '$'"},
            {"--prefix", "/opt/%n", "--prefix cannot hold '%'"},
            {"--for", "windows", "--for is linux or macos, not 'windows'"},
        };
        for (String[] b : bad) {
            Run r = b[0].equals("--prefix") ? strata("service", "install", "--print", b[0], b[1])
                    : strata("service", "install", "--print", "--prefix", "/opt/strata", b[0], b[1]);
            assertEquals(2, r.exit(), b[1] + ": " + r.out() + r.err());
            assertTrue(r.err().contains(b[2]), r.err());
        }
        Run missing = strata("service", "install", "--prefix", dir.resolve("nothing-here").toString(), "--to", dir.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no strata is installed under"), missing.err());
    }
}
