package dev.strata.persistence;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects entries in any order (as a directory walk or a test produces them) and turns them into
 * a canonical {@link Manifest}. Intermediate directories must be added explicitly, parents first.
 */
public final class TreeBuilder {
    private final Node root;

    public TreeBuilder(Entry rootEntry) {
        if (rootEntry.kind() != EntryKind.DIRECTORY) {
            throw new IllegalArgumentException("the root of a tree is a directory");
        }
        root = new Node(rootEntry);
    }

    public static TreeBuilder withDefaultRoot() {
        return new TreeBuilder(Entry.directory(0755, 0, 0, 0));
    }

    /** Adds or replaces the entry at a slash-separated path ({@link Names}); its parent must exist and be a directory. */
    public TreeBuilder put(String path, Entry entry) {
        return put(Names.bytes(path), entry);
    }

    /** As {@link #put(String, Entry)}, for a path as bytes. */
    public TreeBuilder put(byte[] path, Entry entry) {
        Node dir = root;
        byte[] last = null;
        int start = 0;
        while (start <= path.length) {
            int end = start;
            while (end < path.length && path[end] != '/') {
                end++;
            }
            if (end > start) {
                byte[] name = Arrays.copyOfRange(path, start, end);
                Manifest.Builder.checkName(name);
                if (end >= path.length) {
                    last = name;
                    break;
                }
                Node next = dir.children == null ? null : dir.children.get(name);
                if (next == null || next.children == null) {
                    throw new IllegalArgumentException("no directory at '" + new String(name, StandardCharsets.UTF_8)
                            + "' on the way to " + new String(path, StandardCharsets.UTF_8));
                }
                dir = next;
            }
            start = end + 1;
        }
        if (last == null) {
            throw new IllegalArgumentException("cannot replace the root with put(); path: '" + new String(path, StandardCharsets.UTF_8) + "'");
        }
        dir.children.put(last, new Node(entry));
        return this;
    }

    public Manifest build() {
        Manifest.Builder out = Manifest.builder(root.entry);
        ArrayDeque<Map.Entry<Integer, Node>> queue = new ArrayDeque<>();
        queue.add(Map.entry(Manifest.ROOT, root));
        while (!queue.isEmpty()) {
            Map.Entry<Integer, Node> dir = queue.poll();
            for (Map.Entry<byte[], Node> child : dir.getValue().children.entrySet()) {
                int n = out.add(dir.getKey(), child.getKey(), child.getValue().entry);
                if (child.getValue().children != null) {
                    queue.add(Map.entry(n, child.getValue()));
                }
            }
        }
        return out.build();
    }

    private static final class Node {
        final Entry entry;
        final TreeMap<byte[], Node> children;

        Node(Entry entry) {
            this.entry = entry;
            this.children = entry.kind() == EntryKind.DIRECTORY ? new TreeMap<>(Arrays::compareUnsigned) : null;
        }
    }
}
