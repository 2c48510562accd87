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

    /** Adds or replaces the entry at a slash-separated path; its parent must exist and be a directory. */
    public TreeBuilder put(String path, Entry entry) {
        String[] parts = path.split("/");
        Node dir = root;
        byte[] last = null;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            byte[] name = parts[i].getBytes(StandardCharsets.UTF_8);
            Manifest.Builder.checkName(name);
            if (i == parts.length - 1) {
                last = name;
                break;
            }
            Node next = dir.children == null ? null : dir.children.get(name);
            if (next == null || next.children == null) {
                throw new IllegalArgumentException("no directory at '" + parts[i] + "' on the way to " + path);
            }
            dir = next;
        }
        if (last == null) {
            throw new IllegalArgumentException("cannot replace the root with put(); path: '" + path + "'");
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
