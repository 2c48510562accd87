package dev.strata.actors;

import dev.strata.actors.process.ProcessIdentity;
import java.time.Instant;
import java.util.List;

/** What the control plane reports of a runtime. */
public record RuntimeInfo(String name, ProcessIdentity root, String envSpec, List<String> layers, Instant started) {
}
