/**
 * The load simulator ({@code strata sim}): scenarios of many simulated agents, each its own process
 * tree driving a small native worker in a runtime, measured per operation with HdrHistogram next to a
 * native baseline and the daemon's own meters, reported as JSON and as a self-contained HTML page.
 */
package dev.strata.ops.sim;
