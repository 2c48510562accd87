/** The daemon measures itself: Micrometer meters, read in Prometheus' text format. */
package dev.strata.ops.metrics;
