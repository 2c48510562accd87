package dev.strata.persistence;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A snapshot, on disk in {@code snapshots/<name>/snapshot}: the frozen view of a runtime as the
 * stack of immutable layers it stood on plus one layer holding what its scratch had changed. The
 * layers are content-addressed, so a snapshot costs what the runtime changed, never its base.
 * {@code owner} is the uid of the runtime's owner: only they (and root) may branch from it or delete it.
 */
public record SnapshotRecord(String name, String runtime, String envSpec, List<Digest> layers, Instant created, int owner) {
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
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("name", name);
        fields.put("runtime", runtime);
        fields.put("spec", envSpec);
        fields.put("layers", String.join(",", layers.stream().map(Digest::hex).toList()));
        fields.put("created", Long.toString(created.toEpochMilli()));
        fields.put("owner", Integer.toString(owner));
        RecordFile.write(file(snapshotDir), HEADER, fields);
    }

    /** Every snapshot recorded under {@code snapshotsDir}, by name. */
    public static List<SnapshotRecord> readAll(Path snapshotsDir) throws IOException {
        List<SnapshotRecord> out = new java.util.ArrayList<>();
        for (Path dir : RecordFile.directories(snapshotsDir)) {
            SnapshotRecord r = read(dir);
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    /** The record in {@code snapshotDir}, or null when there is none. */
    public static SnapshotRecord read(Path snapshotDir) throws IOException {
        Properties p = RecordFile.read(file(snapshotDir), HEADER);
        if (p == null) {
            return null;
        }
        String layers = p.getProperty("layers", "");
        try {
            return new SnapshotRecord(p.getProperty("name"), p.getProperty("runtime", ""), p.getProperty("spec", ""),
                    layers.isEmpty() ? List.of() : Arrays.stream(layers.split(",")).map(Digest::parse).toList(),
                    Instant.ofEpochMilli(Long.parseLong(p.getProperty("created", "0"))), Integer.parseInt(p.getProperty("owner", "0")));
        } catch (RuntimeException e) {
            throw new IOException(file(snapshotDir) + " is malformed: " + e.getMessage(), e);
        }
    }
}
