package dev.strata.persistence;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A snapshot, on disk in {@code snapshots/<name>/snapshot}: the frozen view of a runtime as the
 * stack of immutable layers it stood on plus one layer holding what its scratch had changed. The
 * layers are content-addressed, so a snapshot costs what the runtime changed, never its base.
 */
public record SnapshotRecord(String name, String runtime, String envSpec, List<Digest> layers, Instant created) {
    private static final String HEADER = "# strata-snapshot 1";

    public SnapshotRecord {
        layers = List.copyOf(layers);
    }

    /** The stack as an env spec of full digests, bottom-up. */
    public EnvSpec stack() {
        return EnvSpec.parse(String.join("+", layers.stream().map(Digest::hex).toList()));
    }

    public static Path file(Path snapshotDir) {
        return snapshotDir.resolve("snapshot");
    }

    public void write(Path snapshotDir) throws IOException {
        Files.createDirectories(snapshotDir);
        String text = HEADER + "\n" + "name=" + name + "\n" + "runtime=" + runtime + "\n" + "spec=" + envSpec + "\n"
                + "layers=" + String.join(",", layers.stream().map(Digest::hex).toList()) + "\n"
                + "created=" + created.toEpochMilli() + "\n";
        AtomicFiles.write(file(snapshotDir), text.getBytes(StandardCharsets.UTF_8), snapshotDir);
    }

    /** The record in {@code snapshotDir}, or null when there is none. */
    public static SnapshotRecord read(Path snapshotDir) throws IOException {
        String text;
        try {
            text = Files.readString(file(snapshotDir));
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!text.startsWith(HEADER)) {
            throw new IOException(file(snapshotDir) + " is not a snapshot record");
        }
        Properties p = new Properties();
        p.load(new StringReader(text));
        String layers = p.getProperty("layers", "");
        try {
            return new SnapshotRecord(p.getProperty("name"), p.getProperty("runtime", ""), p.getProperty("spec", ""),
                    layers.isEmpty() ? List.of() : Arrays.stream(layers.split(",")).map(Digest::parse).toList(),
                    Instant.ofEpochMilli(Long.parseLong(p.getProperty("created", "0"))));
        } catch (RuntimeException e) {
            throw new IOException(file(snapshotDir) + " is malformed: " + e.getMessage(), e);
        }
    }
}
