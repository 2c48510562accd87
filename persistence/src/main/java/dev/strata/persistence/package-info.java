/**
 * The repository on disk: blobs stored once by SHA-256, hashed objects (manifests, layers,
 * platforms) in a canonical encoding, tags with history, atomic writes, import of a directory,
 * render, integrity check and garbage collection. Knows nothing of actors or FUSE.
 */
package dev.strata.persistence;
