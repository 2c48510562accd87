package dev.strata.ops.cli;

import dev.strata.persistence.Digest;
import dev.strata.persistence.Layer;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.ManifestObject;
import dev.strata.persistence.Platform;
import dev.strata.persistence.RepoObject;
import dev.strata.persistence.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "info", description = "Describe an object: kind, digest, size, entry count, annotations.")
final class InfoCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Parameters(index = "0", paramLabel = "REF")
    String ref;

    @picocli.CommandLine.Option(names = "--json", description = "Print JSON (see the README's schema) instead of text.")
    boolean json;

    @Override
    public void run() {
        Repository repo = strata.repository();
        Digest digest = repo.resolve(ref);
        RepoObject object = repo.read(digest);
        Map<String, Object> info = new java.util.LinkedHashMap<>();
        info.put("digest", digest.hex());
        info.put("objectBytes", objectSize(repo, digest));
        if (object instanceof Layer layer) {
            info.put("kind", "layer");
            info.put("manifest", layer.manifest().hex());
            describe(repo.manifest(layer.manifest()), info);
            info.put("annotations", new java.util.TreeMap<>(layer.annotations()));
        } else if (object instanceof Platform platform) {
            info.put("kind", "platform");
            info.put("layers", platform.layers().stream().map(Digest::hex).toList());
        } else if (object instanceof ManifestObject m) {
            info.put("kind", "manifest");
            describe(m.manifest(), info);
        }
        if (json) {
            Json.print(strata, info);
        } else {
            print(info);
        }
    }

    private static void describe(Manifest m, Map<String, Object> info) {
        long content = 0;
        for (int n = 0; n < m.count(); n++) {
            if (m.blob(n) != null) {
                content += m.size(n);
            }
        }
        info.put("entries", m.count() - 1);
        info.put("contentBytes", content);
        info.put("distinctBlobs", m.blobCount());
    }

    @SuppressWarnings("unchecked")
    private void print(Map<String, Object> info) {
        var out = strata.out;
        out.println("digest:      " + info.get("digest"));
        out.println("object size: " + Format.bytes((Long) info.get("objectBytes")));
        out.println("kind:        " + info.get("kind"));
        if (info.containsKey("manifest")) {
            out.println("manifest:    " + info.get("manifest"));
        }
        if (info.containsKey("entries")) {
            out.println("entries:     " + info.get("entries"));
            out.println("content:     " + Format.bytes((Long) info.get("contentBytes")) + " in " + info.get("distinctBlobs") + " distinct blobs");
        }
        for (String layer : (java.util.List<String>) info.getOrDefault("layers", java.util.List.of())) {
            out.println("layer:       " + layer);
        }
        ((Map<String, String>) info.getOrDefault("annotations", Map.of())).forEach((k, v) -> out.println("annotation:  " + k + "=" + v));
    }

    private static long objectSize(Repository repo, Digest d) {
        try {
            return Files.size(repo.objects().path(d));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
