package dev.strata.persistence;

/** What a manifest entry is. The codes are part of the on-disk format (docs/format.md). */
public enum EntryKind {
    DIRECTORY(1, 0040000),
    FILE(2, 0100000),
    SYMLINK(3, 0120000),
    /** Hides the same name in the layers below; never visible in a merged view. */
    WHITEOUT(4, 0),
    FIFO(5, 0010000),
    CHAR_DEVICE(6, 0020000),
    BLOCK_DEVICE(7, 0060000),
    SOCKET(8, 0140000);

    private static final EntryKind[] BY_CODE = new EntryKind[9];

    static {
        for (EntryKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;
    private final int typeBits;

    EntryKind(int code, int typeBits) {
        this.code = code;
        this.typeBits = typeBits;
    }

    public int code() {
        return code;
    }

    /** The S_IFMT bits of stat(2)'s st_mode for this kind. */
    public int typeBits() {
        return typeBits;
    }

    public boolean isDevice() {
        return this == CHAR_DEVICE || this == BLOCK_DEVICE;
    }

    public static EntryKind fromCode(int code) {
        EntryKind k = code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (k == null) {
            throw new IllegalArgumentException("unknown entry kind code " + code);
        }
        return k;
    }
}
