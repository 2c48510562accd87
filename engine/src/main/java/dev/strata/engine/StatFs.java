package dev.strata.engine;

/** What statfs(2) reports for a view. */
public record StatFs(long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
                     int blockSize, int nameMax) {
}
