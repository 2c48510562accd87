package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Tags with history: {@code tags/<name>.tag} lists every target a tag ever had, oldest first, one
 * {@code <digest> <epoch-millis> <uid>} line each. Moving a tag appends a line (by rewriting the file
 * atomically under the tag lock), so {@code name~N} can always be answered. The uid of the first
 * line is the tag's creator: only they and root may move or remove it.
 */
public final class TagStore {
    /** Path-like names: segments of letters, digits, '.', '_' and '-', not starting with '.'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");
    private static final int NAME_MAX = 200;
    private static final String SUFFIX = ".tag";

    private final Path root;
    private final Path tmp;
    private final RepositoryLock lock;
    private final RepositoryLock gcLock;

    /** One entry of a tag's history; {@code by} is the uid that set it. */
    public record TagEntry(Digest target, Instant time, int by) {
    }

    TagStore(Path root, Path tmp, Path lockFile, RepositoryLock gcLock) {
        this.root = root;
        this.tmp = tmp;
        this.lock = RepositoryLock.at(lockFile);
        this.gcLock = gcLock;
    }

    public static boolean isValidName(String name) {
        return name.length() <= NAME_MAX && NAME.matcher(name).matches();
    }

    public static void checkName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid tag name '" + printable(name) + "': use letters, digits, '.', '_', '-',"
                    + " and '/' between segments; at most " + NAME_MAX + " characters");
        }
    }

    private static String printable(String s) {
        String shown = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return shown.replace("\0", "\\0");
    }

    /** Points {@code name} at {@code target} as this process's user; the previous target becomes {@code name~1}. */
    public void set(String name, Digest target) {
        set(name, target, processUid());
    }

    /**
     * Points {@code name} at {@code target} for user {@code by}; the previous target becomes
     * {@code name~1}. Refused when another user created the tag (root may move any tag).
     */
    public void set(String name, Digest target, int by) {
        checkName(name);
        // The gc lock too: the temp file lives in the repository's tmp dir, which clean empties.
        try (RepositoryLock.Held writing = gcLock.shared(); RepositoryLock.Held held = lock.exclusive()) {
            List<TagEntry> history = new ArrayList<>(historyOldestFirst(name));
            checkMayChange(name, history, by, "move");
            history.add(new TagEntry(target, Instant.now(), by));
            AtomicFiles.write(file(name), render(history).getBytes(StandardCharsets.UTF_8), tmp);
        }
    }

    /**
     * Adds the entries of {@code incoming} that the history of {@code name} lacks (same target and
     * time), keeping the history in time order, as one atomic rewrite. The added entries are user
     * {@code by}'s, who must be the tag's creator or root when the tag exists. Returns how many were added.
     */
    public int merge(String name, List<TagEntry> incoming, int by) {
        checkName(name);
        try (RepositoryLock.Held writing = gcLock.shared(); RepositoryLock.Held held = lock.exclusive()) {
            List<TagEntry> history = historyOldestFirst(name);
            List<TagEntry> merged = merged(history, incoming, by);
            if (merged.size() == history.size()) {
                return 0;
            }
            checkMayChange(name, history, by, "move");
            AtomicFiles.write(file(name), render(merged).getBytes(StandardCharsets.UTF_8), tmp);
            return merged.size() - history.size();
        }
    }

    /**
     * {@code history} with the entries of {@code incoming} it lacks (same target and time), as user
     * {@code by}'s, in time order: what every kind of store writes when a tag is synced.
     */
    public static List<TagEntry> merged(List<TagEntry> history, List<TagEntry> incoming, int by) {
        List<TagEntry> out = new ArrayList<>(history);
        for (TagEntry e : incoming) {
            if (out.stream().noneMatch(h -> h.target().equals(e.target()) && h.time().equals(e.time()))) {
                out.add(new TagEntry(e.target(), e.time(), by));
            }
        }
        out.sort(java.util.Comparator.comparing(TagEntry::time)); // stable: equal times keep their order
        return out;
    }

    /** The tag file's text for a history, oldest first. */
    public static String render(List<TagEntry> history) {
        StringBuilder text = new StringBuilder();
        for (TagEntry e : history) {
            text.append(e.target().hex()).append(' ').append(e.time().toEpochMilli()).append(' ').append(e.by()).append('\n');
        }
        return text.toString();
    }

    /** Parses a tag file's text (see {@link #render}); {@code source} names it in errors. */
    public static List<TagEntry> parse(String text, String source) {
        List<TagEntry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.trim().split(" ");
            if (parts.length < 2 || parts.length > 3 || !Digest.isFullHex(parts[0])) {
                throw new RepositoryException("tag file " + source + " is corrupt at line '" + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'");
            }
            try {
                // histories written before creators were recorded are root's
                int by = parts.length == 3 ? Integer.parseInt(parts[2]) : 0;
                entries.add(new TagEntry(Digest.parse(parts[0]), Instant.ofEpochMilli(Long.parseLong(parts[1])), by));
            } catch (NumberFormatException e) {
                throw new RepositoryException("tag file " + source + " is corrupt at line '" + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'");
            }
        }
        return entries;
    }

    /** Removes tag {@code name} and its history (so clean may reclaim what only it reached), for user {@code by}. */
    public void remove(String name, int by) {
        checkName(name);
        try (RepositoryLock.Held writing = gcLock.shared(); RepositoryLock.Held held = lock.exclusive()) {
            List<TagEntry> history = historyOldestFirst(name);
            if (history.isEmpty()) {
                throw new UnknownRefException("unknown tag '" + name + "'");
            }
            checkMayChange(name, history, by, "remove");
            Files.delete(file(name));
        } catch (IOException e) {
            throw new UncheckedIOException("removing tag " + name + " failed", e);
        }
    }

    /** The uid that created {@code name}, or -1 for an unknown tag. */
    public int creator(String name) {
        List<TagEntry> history = historyOldestFirst(name);
        return history.isEmpty() ? -1 : history.get(0).by();
    }

    private static void checkMayChange(String name, List<TagEntry> history, int by, String verb) {
        if (!history.isEmpty() && by != 0 && history.get(0).by() != by) {
            throw new PermissionDeniedException("cannot " + verb + " tag '" + name + "': it was created by uid " + history.get(0).by()
                    + ", and only its creator or root may " + verb + " it");
        }
    }

    /** The real uid of this process (the CLI acting on its own repository). */
    public static int processUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Integer.parseInt(System.getProperty("strata.uid", "0"));
        }
    }

    public boolean exists(String name) {
        return isValidName(name) && Files.exists(file(name));
    }

    /** The tag's history, newest first; empty for an unknown tag. */
    public List<TagEntry> history(String name) {
        List<TagEntry> h = new ArrayList<>(historyOldestFirst(name));
        Collections.reverse(h);
        return h;
    }

    /** The target {@code back} steps behind the current one ({@code name~back}). */
    public Digest resolve(String name, int back) {
        List<TagEntry> h = history(name);
        if (h.isEmpty()) {
            throw new UnknownRefException("unknown tag '" + name + "'");
        }
        if (back >= h.size()) {
            throw new UnknownRefException("tag '" + name + "' has " + h.size() + (h.size() == 1 ? " entry" : " entries") + " in its history, so "
                    + name + "~" + back + " does not exist");
        }
        return h.get(back).target();
    }

    /** All tag names, sorted. */
    public List<String> names() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(p))
                    .map(p -> {
                        String rel = root.relativize(p).toString();
                        return rel.substring(0, rel.length() - SUFFIX.length());
                    })
                    .filter(TagStore::isValidName)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing tags in " + root + " failed", e);
        }
    }

    private List<TagEntry> historyOldestFirst(String name) {
        if (!isValidName(name)) {
            return List.of();
        }
        try {
            return parse(Files.readString(file(name), StandardCharsets.UTF_8), file(name).toString());
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("reading tag " + name + " failed", e);
        }
    }

    private Path file(String name) {
        return root.resolve(name + SUFFIX);
    }
}
