package dev.strata.engine;

import dev.strata.persistence.Manifest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/** What differs between two merged views, path by path, in tree order. */
public final class ViewDiff {
    private ViewDiff() {
    }

    /** How a path differs. */
    public enum Kind {
        ADDED('+'), REMOVED('-'), CHANGED('~');

        private final char symbol;

        Kind(char symbol) {
            this.symbol = symbol;
        }

        public char symbol() {
            return symbol;
        }
    }

    /** One differing path. */
    public record Change(Kind kind, String path) {
        @Override
        public String toString() {
            return kind.symbol() + " /" + path;
        }
    }

    /** A pair of directories still to compare; -1 where one side has no directory there. */
    private record Pair(int a, int b) {
    }

    public static List<Change> diff(Manifest a, Manifest b) {
        List<Change> out = new ArrayList<>();
        Deque<Pair> stack = new ArrayDeque<>();
        if (!a.entry(Manifest.ROOT).sameAs(b.entry(Manifest.ROOT))) {
            out.add(new Change(Kind.CHANGED, ""));
        }
        stack.push(new Pair(Manifest.ROOT, Manifest.ROOT));
        while (!stack.isEmpty()) {
            Pair p = stack.pop();
            List<Pair> subdirs = new ArrayList<>();
            int i = p.a() < 0 ? 0 : a.firstChild(p.a());
            int iEnd = p.a() < 0 ? 0 : i + a.childCount(p.a());
            int j = p.b() < 0 ? 0 : b.firstChild(p.b());
            int jEnd = p.b() < 0 ? 0 : j + b.childCount(p.b());
            while (i < iEnd || j < jEnd) {
                int c = i == iEnd ? 1 : j == jEnd ? -1 : Manifest.compareNames(a, i, b, j);
                if (c < 0) {
                    out.add(new Change(Kind.REMOVED, a.path(i)));
                    if (a.isDirectory(i)) {
                        subdirs.add(new Pair(i, -1));
                    }
                    i++;
                } else if (c > 0) {
                    out.add(new Change(Kind.ADDED, b.path(j)));
                    if (b.isDirectory(j)) {
                        subdirs.add(new Pair(-1, j));
                    }
                    j++;
                } else {
                    boolean bothDirs = a.isDirectory(i) && b.isDirectory(j);
                    if (!a.entry(i).sameAs(b.entry(j))) {
                        out.add(new Change(Kind.CHANGED, a.path(i)));
                    }
                    if (bothDirs) {
                        subdirs.add(new Pair(i, j));
                    } else if (a.kind(i) != b.kind(j)) {
                        if (a.isDirectory(i)) {
                            subdirs.add(new Pair(i, -1));
                        }
                        if (b.isDirectory(j)) {
                            subdirs.add(new Pair(-1, j));
                        }
                    }
                    i++;
                    j++;
                }
            }
            for (int k = subdirs.size() - 1; k >= 0; k--) {
                stack.push(subdirs.get(k));
            }
        }
        // '/' sorts before every other byte here, so a directory's subtree follows the directory
        out.sort(Comparator.comparing((Change c) -> c.path().replace('/', '\0')));
        return out;
    }
}
