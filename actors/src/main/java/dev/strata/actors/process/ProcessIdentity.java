package dev.strata.actors.process;

/**
 * A process, told apart from any later process that reuses its pid by its start time (clock ticks
 * since boot on Linux, microseconds since the epoch on macOS).
 */
public record ProcessIdentity(int pid, long startTime) {
}
