package dev.strata.persistence;

/** A decoded manifest as a repository object. */
public record ManifestObject(Manifest manifest) implements RepoObject {
}
