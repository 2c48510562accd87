/**
 * Operating Strata: the daemon entry point, the strata CLI, configuration, logging, metrics,
 * service files and the load simulation harness.
 */
package dev.strata.ops;
