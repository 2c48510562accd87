package dev.strata.engine;

import dev.strata.persistence.Entry;
import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Manifest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges a stack of layers, bottom-up, into the one manifest a process sees. The rules, as in
 * overlay filesystems:
 * <ul>
 *   <li>for each name, the topmost layer that has it wins;</li>
 *   <li>a whiteout that wins hides the name;</li>
 *   <li>a directory that wins merges with the directories of the same path below it, down to the
 *       first layer where that path is not a directory (type replacement) or is opaque;</li>
 *   <li>a file, symlink or device that wins replaces whatever is below.</li>
 * </ul>
 * The result has no whiteouts and no opaque flags, in canonical order, so it can be stored and
 * rendered like any manifest.
 */
public final class LayerMerge {
    private LayerMerge() {
    }

    /** A directory of one layer that contributes to a merged directory, topmost first. */
    private record Source(Manifest layer, int index, int node) {
    }

    private record Pending(int merged, List<Source> sources) {
    }

    public static Manifest merge(List<Manifest> bottomUp) {
        if (bottomUp.isEmpty()) {
            return Manifest.builder(Entry.directory(0755, 0, 0, 0)).build();
        }
        if (bottomUp.size() == 1 && !hasOverlayMarks(bottomUp.get(0))) {
            return bottomUp.get(0);
        }
        List<Source> rootSources = new ArrayList<>();
        for (int i = bottomUp.size() - 1; i >= 0; i--) {
            Manifest m = bottomUp.get(i);
            rootSources.add(new Source(m, i, Manifest.ROOT));
            if (m.isOpaque(Manifest.ROOT)) {
                break;
            }
        }
        Manifest top = bottomUp.get(bottomUp.size() - 1);
        Manifest.Builder out = Manifest.builder(top.entry(Manifest.ROOT).withOpaque(false));
        Map<Long, Integer> linkGroups = new HashMap<>();
        ArrayDeque<Pending> queue = new ArrayDeque<>();
        queue.add(new Pending(Manifest.ROOT, rootSources));
        while (!queue.isEmpty()) {
            Pending dir = queue.poll();
            mergeChildren(dir, out, linkGroups, queue);
        }
        return out.build();
    }

    private static void mergeChildren(Pending dir, Manifest.Builder out, Map<Long, Integer> linkGroups, ArrayDeque<Pending> queue) {
        List<Source> sources = dir.sources();
        int k = sources.size();
        int[] cursor = new int[k];
        int[] end = new int[k];
        for (int s = 0; s < k; s++) {
            Source src = sources.get(s);
            cursor[s] = src.layer().firstChild(src.node());
            end[s] = cursor[s] + src.layer().childCount(src.node());
        }
        int[] holders = new int[k];
        while (true) {
            // the smallest name among the cursors, and which sources (topmost first) hold it
            int held = 0;
            for (int s = 0; s < k; s++) {
                if (cursor[s] == end[s]) {
                    continue;
                }
                if (held == 0) {
                    holders[held++] = s;
                    continue;
                }
                Source first = sources.get(holders[0]);
                int c = Manifest.compareNames(sources.get(s).layer(), cursor[s], first.layer(), cursor[holders[0]]);
                if (c < 0) {
                    held = 0;
                    holders[held++] = s;
                } else if (c == 0) {
                    holders[held++] = s;
                }
            }
            if (held == 0) {
                return;
            }
            emit(dir.merged(), sources, cursor, holders, held, out, linkGroups, queue);
            for (int h = 0; h < held; h++) {
                cursor[holders[h]]++;
            }
        }
    }

    private static void emit(int mergedDir, List<Source> sources, int[] cursor, int[] holders, int held,
                             Manifest.Builder out, Map<Long, Integer> linkGroups, ArrayDeque<Pending> queue) {
        Source winnerDir = sources.get(holders[0]);
        Manifest layer = winnerDir.layer();
        int node = cursor[holders[0]];
        EntryKind kind = layer.kind(node);
        if (kind == EntryKind.WHITEOUT) {
            return;
        }
        Entry entry = layer.entry(node).withOpaque(false);
        if (entry.linkGroup() != 0) {
            long key = (long) winnerDir.index() << 32 | entry.linkGroup();
            entry = entry.withLinkGroup(linkGroups.computeIfAbsent(key, g -> linkGroups.size() + 1));
        }
        int merged = out.add(mergedDir, layer.name(node), entry);
        if (kind != EntryKind.DIRECTORY) {
            return;
        }
        List<Source> below = new ArrayList<>();
        for (int h = 0; h < held; h++) {
            Source s = sources.get(holders[h]);
            int n = cursor[holders[h]];
            if (!s.layer().isDirectory(n)) {
                break;
            }
            below.add(new Source(s.layer(), s.index(), n));
            if (s.layer().isOpaque(n)) {
                break;
            }
        }
        queue.add(new Pending(merged, below));
    }

    private static boolean hasOverlayMarks(Manifest m) {
        for (int n = 0; n < m.count(); n++) {
            if (m.isOpaque(n) || m.kind(n) == EntryKind.WHITEOUT) {
                return true;
            }
        }
        return false;
    }
}
