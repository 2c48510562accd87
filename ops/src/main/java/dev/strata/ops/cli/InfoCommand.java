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

    @Override
    public void run() {
        Repository repo = strata.home().repository();
        Digest digest = repo.resolve(ref);
        RepoObject object = repo.read(digest);
        var out = strata.out;
        out.println("digest:      " + digest.hex());
        out.println("object size: " + Format.bytes(objectSize(repo, digest)));
        if (object instanceof Layer layer) {
            out.println("kind:        layer");
            out.println("manifest:    " + layer.manifest().hex());
            describe(repo.manifest(layer.manifest()));
            for (Map.Entry<String, String> a : layer.annotations().entrySet()) {
                out.println("annotation:  " + a.getKey() + "=" + a.getValue());
            }
        } else if (object instanceof Platform platform) {
            out.println("kind:        platform");
            for (Digest layer : platform.layers()) {
                out.println("layer:       " + layer.hex());
            }
        } else if (object instanceof ManifestObject m) {
            out.println("kind:        manifest");
            describe(m.manifest());
        }
    }

    private void describe(Manifest m) {
        long content = 0;
        for (int n = 0; n < m.count(); n++) {
            if (m.blob(n) != null) {
                content += m.size(n);
            }
        }
        strata.out.println("entries:     " + (m.count() - 1));
        strata.out.println("content:     " + Format.bytes(content) + " in " + m.blobCount() + " distinct blobs");
    }

    private static long objectSize(Repository repo, Digest d) {
        try {
            return Files.size(repo.objects().path(d));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
