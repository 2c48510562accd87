package dev.strata.engine;

import dev.strata.persistence.Digest;
import dev.strata.persistence.Entry;
import dev.strata.persistence.EntryKind;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.TreeBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny language for layers in tests, one entry per line:
 * {@code d path} directory, {@code o path} opaque directory, {@code f path=content} file,
 * {@code w path} whiteout, {@code l path->target} symlink, {@code h group path=content} hard link.
 */
final class Layers {
    private Layers() {
    }

    static Manifest layer(String... lines) {
        TreeBuilder t = TreeBuilder.withDefaultRoot();
        for (String line : lines) {
            String op = line.substring(0, line.indexOf(' '));
            String rest = line.substring(op.length() + 1);
            switch (op) {
                case "d" -> t.put(rest, Entry.directory(0755, 0, 0, 0));
                case "o" -> t.put(rest, Entry.directory(0755, 0, 0, 0).withOpaque(true));
                case "w" -> t.put(rest, Entry.whiteout());
                case "f" -> {
                    String[] kv = rest.split("=", 2);
                    t.put(kv[0], file(kv[1]));
                }
                case "h" -> {
                    String[] g = rest.split(" ", 2);
                    String[] kv = g[1].split("=", 2);
                    t.put(kv[0], file(kv[1]).withLinkGroup(Integer.parseInt(g[0])));
                }
                case "l" -> {
                    String[] kv = rest.split("->", 2);
                    t.put(kv[0], Entry.symlink(kv[1].getBytes(StandardCharsets.UTF_8), 0, 0, 0));
                }
                default -> throw new IllegalArgumentException(line);
            }
        }
        return t.build();
    }

    static Entry file(String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return Entry.file(0644, 0, 0, 0, bytes.length, Digest.sha256(bytes));
    }

    /** The merged tree as lines {@code path kind}, in canonical order. */
    static List<String> describe(Manifest m) {
        List<String> out = new ArrayList<>();
        for (int n = 1; n < m.count(); n++) {
            EntryKind k = m.kind(n);
            String what = switch (k) {
                case FILE -> "=" + m.size(n) + "b";
                case SYMLINK -> "->" + new String(m.symlinkTarget(n), StandardCharsets.UTF_8);
                default -> "/";
            };
            out.add(m.path(n) + what);
        }
        out.sort(null);
        return out;
    }
}
