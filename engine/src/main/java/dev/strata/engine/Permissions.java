package dev.strata.engine;

/**
 * POSIX permission checks, as the kernel makes them with default_permissions, made here instead so
 * that the kernel need not fetch a directory's attributes (never cached: they differ per view) for
 * every path walk.
 */
public final class Permissions {
    public static final int READ = 4;
    public static final int WRITE = 2;
    public static final int EXECUTE = 1;

    private Permissions() {
    }

    /** Who asks: user, primary group, and (looked up only when it matters) supplementary groups. */
    public interface Credentials {
        int uid();

        int gid();

        boolean inSupplementaryGroup(int gid);
    }

    /**
     * Whether {@code who} may {@code mask} (READ | WRITE | EXECUTE) an object with these attributes.
     * The owner class applies to the owner even where the group or other class would grant more;
     * root may read and write anything, and execute what has any execute bit (directories always).
     */
    public static boolean allows(Attributes object, Credentials who, int mask) {
        return allows(object.mode(), object.uid(), object.gid(), who, mask);
    }

    /** The same check from the owner and mode alone; {@code mode} carries the type bits. */
    public static boolean allows(int mode, int ownerUid, int ownerGid, Credentials who, int mask) {
        if (mask == 0) {
            return true;
        }
        if (who.uid() == 0) {
            boolean directory = (mode & 0170000) == 0040000;
            return (mask & EXECUTE) == 0 || directory || (mode & 0111) != 0;
        }
        if (who.uid() == ownerUid) {
            return ((mode >> 6) & mask) == mask;
        }
        int group = (mode >> 3) & mask;
        int other = mode & mask;
        // the supplementary groups (a /proc read) are needed only when they would change the answer
        boolean member = who.gid() == ownerGid || (group != other && who.inSupplementaryGroup(ownerGid));
        return (member ? group : other) == mask;
    }

    /** Whether {@code who} is in group {@code gid}, primary or supplementary. */
    public static boolean inGroup(Credentials who, int gid) {
        return who.gid() == gid || who.inSupplementaryGroup(gid);
    }
}
