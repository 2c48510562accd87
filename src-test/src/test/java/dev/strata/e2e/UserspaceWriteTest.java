package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The same POSIX probe with FUSE passthrough off: every READ and WRITE then reaches the daemon. */
class UserspaceWriteTest {
    @Test
    void posixBehaviourWithoutPassthrough() throws Exception {
        try (DaemonFixture daemon = new DaemonFixture("--no-passthrough")) {
            daemon.layer("base", "lower/file", "lower content\n", "lower/file2", "second lower file\n", "lower/file3", "truncate me\n",
                    "lower/dir/sub/f", "sub\n");
            Path probe = daemon.work.resolve("posix_probe.py");
            for (String file : new String[] {"checks.py", "posix_probe.py"}) {
                try (InputStream in = UserspaceWriteTest.class.getResourceAsStream("/probes/" + file)) {
                    Files.copy(in, daemon.work.resolve(file));
                }
            }
            Path out = daemon.work.resolve("probe.out");
            Process p = daemon.strata.startWithOutput(out, "run", "--edit", "base", "--", "sh", "-c",
                    "cd " + daemon.mountpoint + " && /usr/bin/python3 " + probe + " && dd if=/dev/urandom of=big bs=1M count=16 2>/dev/null"
                            + " && sha256sum big | cut -d' ' -f1 && cat big | sha256sum | cut -d' ' -f1");
            assertEquals(0, DaemonFixture.await(p), Files.readString(out) + daemon.log());
            String output = Files.readString(out);
            assertTrue(output.contains("\n0 failed"), output);
            String[] lines = output.strip().split("\n");
            assertEquals(lines[lines.length - 1], lines[lines.length - 2], "what was written is what is read");
        }
    }
}
