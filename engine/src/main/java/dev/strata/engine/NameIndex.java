package dev.strata.engine;

import dev.strata.persistence.Manifest;

/**
 * A hash index from (directory, name) to child node over a whole manifest: one int per slot at a
 * load factor of one half, so lookups cost a hash and a probe or two instead of a binary search
 * over the siblings. LOOKUP is the most frequent request a FUSE file system answers.
 */
final class NameIndex {
    private static final int EMPTY = -1;

    private final Manifest manifest;
    private final int[] slots;
    private final int mask;

    NameIndex(Manifest manifest) {
        this.manifest = manifest;
        int capacity = Integer.highestOneBit(Math.max(4, manifest.count()) * 2 - 1) << 1;
        slots = new int[capacity];
        mask = capacity - 1;
        java.util.Arrays.fill(slots, EMPTY);
        for (int n = 1; n < manifest.count(); n++) {
            int i = slot(manifest.parent(n), manifest.nameHash(n));
            while (slots[i] != EMPTY) {
                i = (i + 1) & mask;
            }
            slots[i] = n;
        }
    }

    /** murmur3's finalizer over name and directory: the same name in sibling directories must not cluster. */
    private int slot(int dir, int nameHash) {
        int h = nameHash ^ (dir * 0x9E3779B9);
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h & mask;
    }

    /** The child of {@code dir} named {@code name}, or {@link Manifest#NOT_FOUND}. */
    int lookup(int dir, byte[] name) {
        int i = slot(dir, Manifest.hashName(name));
        for (int n; (n = slots[i]) != EMPTY; i = (i + 1) & mask) {
            if (manifest.parent(n) == dir && manifest.compareName(n, name) == 0) {
                return n;
            }
        }
        return Manifest.NOT_FOUND;
    }
}
