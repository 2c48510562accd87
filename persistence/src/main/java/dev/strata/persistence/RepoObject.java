package dev.strata.persistence;

/** What the object store holds: each kind has its own canonical encoding (docs/format.md). */
public sealed interface RepoObject permits Layer, Platform, ManifestObject {
}
