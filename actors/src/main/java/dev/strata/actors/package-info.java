/**
 * The Pekko actor tree: Guardian, AncestryResolver, Router (the request hot path), Runtimes (the one
 * owner of the runtime lifecycle and of every control rule) with one Mount per runtime and one
 * Scratch per editable runtime, and Snapshots with one Snapshot per snapshot. Lifecycle, routing,
 * supervision and cleanup live here; the kernel protocol does not.
 */
package dev.strata.actors;
