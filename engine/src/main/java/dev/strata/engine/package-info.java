/**
 * Filesystem semantics as plain Java: merging a stack of layers into one view, overlay rules
 * (whiteouts, opaque directories, type replacement), path resolution and POSIX errno rules.
 * Knows nothing of actors, FUSE or gRPC.
 */
package dev.strata.engine;
