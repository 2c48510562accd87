/**
 * Filesystem semantics as plain Java: merging a stack of layers into one view, overlay rules
 * (whiteouts, opaque directories, type replacement), path resolution and POSIX errno rules, the
 * node ids every view shares and which answers about them the kernel may keep ({@link
 * dev.strata.engine.SharedAnswers}). Knows nothing of actors, FUSE or gRPC.
 */
package dev.strata.engine;
