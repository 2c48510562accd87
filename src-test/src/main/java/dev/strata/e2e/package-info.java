/**
 * End-to-end tests and benchmarks: the real CLI on real trees, and (as the daemon lands) real
 * kernel mounts, POSIX compliance and fault injection.
 */
package dev.strata.e2e;
