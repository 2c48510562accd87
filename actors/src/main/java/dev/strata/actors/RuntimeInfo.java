package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import java.time.Instant;
import java.util.List;

/** What the control plane reports of a runtime; {@code layers} grow with each commit. */
public record RuntimeInfo(String name, ProcessIdentity root, String envSpec, List<String> layers, Instant started,
                          boolean editable, boolean durable) {
    public RuntimeInfo(String name, ProcessIdentity root, String envSpec, List<String> layers, Instant started) {
        this(name, root, envSpec, layers, started, false, false);
    }
}
