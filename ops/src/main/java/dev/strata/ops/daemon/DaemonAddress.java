package dev.strata.ops.daemon;

import dev.strata.ops.StrataHome;
import dev.strata.persistence.AtomicFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/** Where a running daemon listens, recorded in {@code $STRATA_HOME/daemon/control.properties} for clients. */
public record DaemonAddress(Path socket, long pid, Path mountpoint) {
    static Path file(StrataHome home) {
        return home.root().resolve("daemon").resolve("control.properties");
    }

    void write(StrataHome home) {
        Properties p = new Properties();
        p.setProperty("socket", socket.toString());
        p.setProperty("pid", Long.toString(pid));
        p.setProperty("mountpoint", mountpoint.toString());
        StringWriter text = new StringWriter();
        try {
            p.store(text, "the running strata daemon");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path f = file(home);
        AtomicFiles.write(f, text.toString().getBytes(StandardCharsets.UTF_8), f.getParent());
        try {
            // every local user's client reads it to find the socket
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void remove(StrataHome home) {
        AtomicFiles.deleteQuietly(file(home));
    }

    /** The recorded daemon, if its process still runs. */
    public static Optional<DaemonAddress> find(StrataHome home) {
        Path f = file(home);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
            DaemonAddress a = new DaemonAddress(Path.of(p.getProperty("socket")), Long.parseLong(p.getProperty("pid")),
                    Path.of(p.getProperty("mountpoint")));
            return ProcessHandle.of(a.pid()).filter(ProcessHandle::isAlive).map(h -> a);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
