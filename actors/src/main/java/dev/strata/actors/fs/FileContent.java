package dev.strata.actors.fs;

import dev.strata.engine.LazyCopy;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the bytes of an open file are. Fixed for layer content and scratch files; moved once when
 * an editable runtime copies up a lower file that handles hold open, so that those handles read on
 * from the scratch file, as handles of one file on a local disk do. While a copy-up is still
 * filling the scratch file ({@link LazyCopy}), every use of a range makes sure it was copied first.
 */
public final class FileContent {
    private record Place(Path path, LazyCopy filling) {
    }

    private volatile Place place;

    public FileContent(Path path) {
        this.place = new Place(path, null);
    }

    public Path path() {
        return place.path();
    }

    /** The file's content now lives at {@code scratchFile}; the bridge reopens there on its next use. */
    public void moveTo(Path scratchFile, LazyCopy filling) {
        place = new Place(scratchFile, filling);
    }

    /** Before reading or writing {@code [offset, offset + length)}. */
    public void ensure(long offset, long length) throws IOException {
        LazyCopy filling = place.filling();
        if (filling != null) {
            filling.ensure(offset, length);
        }
    }

    /** Before anything that sees the whole file (fsync, fallocate, SEEK_DATA). */
    public void ensureAll() throws IOException {
        LazyCopy filling = place.filling();
        if (filling != null) {
            filling.ensureAll();
        }
    }
}
