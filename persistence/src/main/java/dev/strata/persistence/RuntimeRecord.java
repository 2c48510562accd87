package dev.strata.persistence;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What a runtime is, on disk in {@code runtimes/<name>/runtime}: its spec, the layers it stands on
 * (commits add to them), and whether it is editable and durable. The scratch of an editable runtime
 * lives beside it in {@code scratch/}. Written atomically; read back when a Mount restarts and when
 * a durable runtime is joined after a daemon restart.
 *
 * @param commits  how many commits this runtime made: each starts its node identities afresh
 * @param snapshot for a branch, the snapshot it was made from; "" otherwise
 * @param owner    the uid of the user who started it: only they (and root) may act on it
 */
public record RuntimeRecord(String name, String envSpec, List<Digest> layers, boolean editable, boolean durable, int commits,
                            String snapshot, int owner) {
    private static final String HEADER = "# strata-runtime 1";

    public RuntimeRecord {
        layers = List.copyOf(layers);
        snapshot = snapshot == null ? "" : snapshot;
    }

    public RuntimeRecord(String name, String envSpec, List<Digest> layers, boolean editable, boolean durable, int commits) {
        this(name, envSpec, layers, editable, durable, commits, "", 0);
    }

    public boolean isBranch() {
        return !snapshot.isEmpty();
    }

    public RuntimeRecord withCommit(Digest layer) {
        List<Digest> next = new ArrayList<>(layers);
        next.add(layer);
        return new RuntimeRecord(name, envSpec, next, editable, durable, commits + 1, snapshot, owner);
    }

    /** The stack as an env spec of full digests, bottom-up. */
    public EnvSpec stack() {
        return EnvSpec.parse(String.join("+", layers.stream().map(Digest::hex).toList()));
    }

    public static Path file(Path runtimeDir) {
        return runtimeDir.resolve("runtime");
    }

    public void write(Path runtimeDir) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("name", name);
        fields.put("spec", envSpec);
        fields.put("layers", String.join(",", layers.stream().map(Digest::hex).toList()));
        fields.put("editable", Boolean.toString(editable));
        fields.put("durable", Boolean.toString(durable));
        fields.put("commits", Integer.toString(commits));
        fields.put("snapshot", snapshot);
        fields.put("owner", Integer.toString(owner));
        // a runtime that ends with its processes has nothing to outlive a power loss for
        RecordFile.write(file(runtimeDir), HEADER, fields, durable);
    }

    /** Every runtime recorded under {@code runtimesDir}, by name. */
    public static List<RuntimeRecord> readAll(Path runtimesDir) throws IOException {
        List<RuntimeRecord> out = new ArrayList<>();
        for (Path dir : RecordFile.directories(runtimesDir)) {
            RuntimeRecord r = read(dir);
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    /** The record in {@code runtimeDir}, or null when there is none. */
    public static RuntimeRecord read(Path runtimeDir) throws IOException {
        Properties p = RecordFile.read(file(runtimeDir), HEADER);
        if (p == null) {
            return null;
        }
        String layers = p.getProperty("layers", "");
        try {
            return new RuntimeRecord(p.getProperty("name"), p.getProperty("spec", ""),
                    layers.isEmpty() ? List.of() : Arrays.stream(layers.split(",")).map(Digest::parse).toList(),
                    Boolean.parseBoolean(p.getProperty("editable")), Boolean.parseBoolean(p.getProperty("durable")),
                    Integer.parseInt(p.getProperty("commits", "0")), p.getProperty("snapshot", ""),
                    Integer.parseInt(p.getProperty("owner", "0")));
        } catch (RuntimeException e) {
            throw new IOException(file(runtimeDir) + " is malformed: " + e.getMessage(), e);
        }
    }
}
