package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import java.time.Instant;
import java.util.List;

/** What the control plane reports of a runtime; {@code layers} grow with each commit; {@code owner} is a uid. */
public record RuntimeInfo(String name, ProcessIdentity root, String envSpec, List<String> layers, Instant started,
                          boolean editable, boolean durable, int owner) {
    public RuntimeInfo(String name, ProcessIdentity root, String envSpec, List<String> layers, Instant started) {
        this(name, root, envSpec, layers, started, false, false, Caller.ROOT);
    }

    RuntimeInfo withLayers(List<String> next) {
        return new RuntimeInfo(name, root, envSpec, next, started, editable, durable, owner);
    }
}
