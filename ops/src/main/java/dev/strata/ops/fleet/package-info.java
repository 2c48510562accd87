/**
 * The fleet: Strata daemons in one Pekko Cluster. Each registers a {@link dev.strata.ops.fleet.FleetAdmin}
 * with the Receptionist; an admin's command on any daemon's control socket fans out to them all.
 * Membership, failure detection and downing are Pekko's; nothing here is on the FUSE request path.
 */
package dev.strata.ops.fleet;
