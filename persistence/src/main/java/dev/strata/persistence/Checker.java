package dev.strata.persistence;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies a repository: every object and blob re-hashed against its name, every object decoded,
 * and every digest that a tag or object refers to present.
 */
public final class Checker {
    private final Repository repo;

    /** The outcome: counts, and one sentence per problem (empty when the repository is sound). */
    public record Report(int objects, int blobs, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public Checker(Repository repo) {
        this.repo = repo;
    }

    public Report check() {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        List<Digest> objects = repo.objects().list(p -> problems.add("stray file in the object store: " + p));
        List<Digest> blobs = repo.blobs().list(p -> problems.add("stray file in the blob store: " + p));
        Set<Digest> referencedObjects = ConcurrentHashMap.newKeySet();
        Set<Digest> referencedBlobs = ConcurrentHashMap.newKeySet();

        objects.parallelStream().forEach(d -> {
            if (!verify(repo.objects(), d, "object", problems)) {
                return;
            }
            try {
                RepoObject o = repo.read(d);
                if (o instanceof Layer l) {
                    referencedObjects.add(l.manifest());
                } else if (o instanceof Platform p) {
                    referencedObjects.addAll(p.layers());
                } else if (o instanceof ManifestObject m) {
                    for (int i = 0; i < m.manifest().blobCount(); i++) {
                        referencedBlobs.add(m.manifest().blobAt(i));
                    }
                }
            } catch (RepositoryException e) {
                problems.add(e.getMessage());
            }
        });
        blobs.parallelStream().forEach(d -> verify(repo.blobs(), d, "blob", problems));

        Set<Digest> haveObjects = new HashSet<>(objects);
        Set<Digest> haveBlobs = new HashSet<>(blobs);
        for (String tag : repo.tags().names()) {
            for (TagStore.TagEntry e : repo.tags().history(tag)) {
                if (!haveObjects.contains(e.target())) {
                    problems.add("tag " + tag + " refers to missing object " + e.target());
                }
            }
        }
        referencedObjects.stream().filter(d -> !haveObjects.contains(d)).sorted()
                .forEach(d -> problems.add("missing object " + d + " (referred to by another object)"));
        Set<Digest> notFetched = new HashSet<>();
        for (Digest marked : repo.partial().all()) {
            if (repo.objects().contains(marked) && repo.read(marked) instanceof ManifestObject m) {
                for (int i = 0; i < m.manifest().blobCount(); i++) {
                    notFetched.add(m.manifest().blobAt(i));
                }
            }
        }
        referencedBlobs.stream().filter(d -> !haveBlobs.contains(d) && !notFetched.contains(d)).sorted()
                .forEach(d -> problems.add("missing blob " + d + " (referred to by a manifest)"));
        List<String> sorted = new ArrayList<>(problems);
        Collections.sort(sorted);
        return new Report(objects.size(), blobs.size(), sorted);
    }

    private static boolean verify(ContentStore store, Digest d, String what, List<String> problems) {
        try {
            if (store.verify(d)) {
                return true;
            }
            problems.add(what + " " + d + " is corrupt: its content does not hash to its name (" + store.path(d) + ")");
        } catch (IOException e) {
            problems.add(what + " " + d + " cannot be read: " + e.getMessage());
        }
        return false;
    }
}
