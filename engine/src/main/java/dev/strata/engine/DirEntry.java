package dev.strata.engine;

/** One entry of a directory listing; {@code offset} is what resumes the listing after it. */
public record DirEntry(byte[] name, int node, long ino, int typeBits, long offset) {
    public String nameString() {
        return dev.strata.persistence.Names.string(name);
    }
}
