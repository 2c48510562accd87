package dev.strata.engine;

/**
 * What an open(2) asks for, in the engine's terms (the bridge's codec reads it from the platform's
 * flags): read and write access, truncation, an execve's open (it needs execute permission, not
 * read), and, for a file made without a name (O_TMPFILE), whether it must stay nameless.
 */
public record OpenIntent(boolean read, boolean write, boolean truncate, boolean exec, boolean exclusive) {
    public static final OpenIntent READ = new OpenIntent(true, false, false, false, false);
    public static final OpenIntent READ_WRITE = new OpenIntent(true, true, false, false, false);

    /** Whether the open changes content, so a lower file must be copied up first. */
    public boolean writes() {
        return write || truncate;
    }
}
