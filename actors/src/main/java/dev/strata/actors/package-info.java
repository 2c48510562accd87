/**
 * The Pekko actor tree: Guardian, AncestryResolver, Router, one Mount per runtime, one Scratch
 * per editable runtime, one Snapshot per snapshot. Lifecycle, routing, supervision and cleanup
 * live here; the kernel protocol does not.
 */
package dev.strata.actors;
