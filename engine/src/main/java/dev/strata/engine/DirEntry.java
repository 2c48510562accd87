package dev.strata.engine;

import java.nio.charset.StandardCharsets;

/** One entry of a directory listing; {@code offset} is what resumes the listing after it. */
public record DirEntry(byte[] name, int node, long ino, int typeBits, long offset) {
    public String nameString() {
        return new String(name, StandardCharsets.UTF_8);
    }
}
