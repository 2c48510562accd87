package dev.strata.actors.fs;

import java.nio.file.Path;

/**
 * Where the bytes of an open file are. Fixed for layer content and scratch files; moved once when
 * an editable runtime copies up a lower file that handles hold open, so that those handles read on
 * from the scratch file, as handles of one file on a local disk do.
 */
public final class FileContent {
    private volatile Path path;

    public FileContent(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** The file's content now lives at {@code scratchFile}; the bridge reopens there on its next use. */
    public void moveTo(Path scratchFile) {
        path = scratchFile;
    }
}
