package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Objects whose blobs are not all here yet: read-through copies a remote ref's platforms, layers and
 * manifests when a runtime starts and fetches each blob when a file is first opened. A mark is an
 * empty file {@code repo/partial/<hex>}, made before the object is stored and removed once a pull has
 * brought everything it reaches; a pull walks into a marked object instead of trusting it complete.
 */
public final class PartialMarks {
    private final Path root;

    PartialMarks(Path root) {
        this.root = root;
    }

    public boolean isPartial(Digest d) {
        return Files.exists(root.resolve(d.hex()));
    }

    public void mark(Digest d) {
        try {
            Files.createDirectories(root);
            Path mark = root.resolve(d.hex());
            if (!Files.exists(mark)) {
                Files.createFile(mark);
            }
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // another fetch marked it
        } catch (IOException e) {
            throw new UncheckedIOException("marking " + d.shortHex() + " partial failed: " + e.getMessage(), e);
        }
    }

    public void clear(Digest d) {
        try {
            Files.deleteIfExists(root.resolve(d.hex()));
        } catch (IOException e) {
            throw new UncheckedIOException("clearing the partial mark of " + d.shortHex() + " failed: " + e.getMessage(), e);
        }
    }

    /** Every marked object. */
    public Set<Digest> all() {
        Set<Digest> out = new HashSet<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> files = Files.list(root)) {
            files.map(p -> p.getFileName().toString()).filter(Digest::isFullHex).forEach(h -> out.add(Digest.parse(h)));
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + root + " failed", e);
        }
        return out;
    }
}
