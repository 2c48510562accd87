/** Remotes: where other repositories are (kept in the configuration), and opening each kind as a {@link dev.strata.persistence.Store}. */
package dev.strata.ops.remote;
