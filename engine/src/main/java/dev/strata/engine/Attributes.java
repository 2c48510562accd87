package dev.strata.engine;

/**
 * What stat(2) reports for a node of a view.
 *
 * @param mode st_mode: type bits and permission bits
 */
public record Attributes(long ino, int mode, int nlink, int uid, int gid, long size, long blocks,
                         long atimeNanos, long mtimeNanos, long ctimeNanos, long rdev) {
    public static final int BLOCK_SIZE = 512;

    /** The same attributes with another inode number (the kernel's node id, where views share a node). */
    public Attributes withIno(long number) {
        return new Attributes(number, mode, nlink, uid, gid, size, blocks, atimeNanos, mtimeNanos, ctimeNanos, rdev);
    }
}
