package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The content-addressed repository under {@code $STRATA_HOME/repo}:
 * <pre>
 *   VERSION                 the layout version
 *   blobs/sha256/ab/cdef..  file content, read-only
 *   objects/sha256/ab/cd..  manifests, layers, platforms (canonical encoding)
 *   tags/NAME.tag           tag history
 *   tmp/                    temp files of writes in progress
 * </pre>
 */
public final class Repository {
    public static final int LAYOUT_VERSION = 1;
    private static final String VERSION_TEXT = "strata-repository " + LAYOUT_VERSION + "\n";

    private final Path root;
    private final ContentStore blobs;
    private final ContentStore objects;
    private final TagStore tags;
    private final RepositoryLock gcLock;
    private final PartialMarks partial;
    private volatile ReadThrough readThrough;

    /** A ref resolved to the layer (or bare manifest) it names and that layer's manifest. */
    public record ResolvedLayer(Digest digest, Digest manifest) {
    }

    private Repository(Path root) {
        this.root = root;
        Path tmp = root.resolve("tmp");
        this.blobs = new ContentStore(root.resolve("blobs/sha256"), tmp);
        this.objects = new ContentStore(root.resolve("objects/sha256"), tmp);
        this.gcLock = RepositoryLock.at(root.resolve("gc.lock"));
        this.partial = new PartialMarks(root.resolve("partial"));
        this.tags = new TagStore(root.resolve("tags"), tmp, root.resolve("tags.lock"), gcLock);
    }

    /** Opens the repository at {@code root}, creating an empty one when there is none. */
    public static Repository open(Path root) {
        Path version = root.resolve("VERSION");
        try {
            if (Files.exists(version)) {
                String text = Files.readString(version, StandardCharsets.UTF_8);
                if (!text.equals(VERSION_TEXT)) {
                    throw new RepositoryException("the repository at " + root + " has layout '" + text.trim()
                            + "'; this Strata reads '" + VERSION_TEXT.trim() + "'");
                }
            } else {
                Files.createDirectories(root.resolve("tmp"));
                AtomicFiles.write(version, VERSION_TEXT.getBytes(StandardCharsets.UTF_8), root.resolve("tmp"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("opening the repository at " + root + " failed: " + e.getMessage(), e);
        }
        return new Repository(root);
    }

    public Path root() {
        return root;
    }

    public Path tmpDir() {
        return root.resolve("tmp");
    }

    public ContentStore blobs() {
        return blobs;
    }

    public ContentStore objects() {
        return objects;
    }

    public TagStore tags() {
        return tags;
    }

    /** Objects copied from a remote without their blobs (read-through), until a pull completes them. */
    public PartialMarks partial() {
        return partial;
    }

    /** Held (shared) by anything that writes objects and then refers to them; garbage collection waits for it. */
    public RepositoryLock.Held writing() {
        return gcLock.shared();
    }

    /** Held (exclusive) by garbage collection. */
    RepositoryLock.Held collecting() {
        return gcLock.exclusive();
    }

    public Digest write(RepoObject object) {
        return objects.put(ObjectCodec.encode(object)).digest();
    }

    public RepoObject read(Digest digest) {
        return ObjectCodec.decode(digest, objects.read(digest));
    }

    public Manifest manifest(Digest digest) {
        if (read(digest) instanceof ManifestObject m) {
            return m.manifest();
        }
        throw new RepositoryException("object " + digest.shortHex() + " is not a manifest");
    }

    /** From now on a ref this repository lacks is looked up on {@code readThrough}'s remotes (the daemon's). */
    public void readThrough(ReadThrough readThrough) {
        this.readThrough = readThrough;
    }

    /**
     * Resolves a single ref to an object digest: a tag first, then a digest or unique digest prefix;
     * with read-through on, a ref no local tag or object matches is copied from a remote first.
     */
    public Digest resolve(EnvSpec.Ref ref) {
        try {
            return resolveHere(ref);
        } catch (UnknownRefException unknown) {
            ReadThrough remotes = readThrough;
            if (remotes != null && remotes.fetchRef(ref)) {
                return resolveHere(ref);
            }
            throw unknown;
        }
    }

    private Digest resolveHere(EnvSpec.Ref ref) {
        if (tags.exists(ref.name())) {
            return tags.resolve(ref.name(), ref.back());
        }
        if (ref.back() > 0) {
            throw new UnknownRefException("unknown tag '" + ref.name() + "' in ref '" + ref.text() + "'");
        }
        if (!ref.mayBeDigest()) {
            throw new UnknownRefException("unknown ref '" + ref.text() + "': no such tag"
                    + (Digest.isHex(ref.name()) ? ", and a digest prefix needs at least " + EnvSpec.MIN_PREFIX + " hex digits" : ""));
        }
        List<Digest> matches = objects.withPrefix(ref.name());
        if (matches.isEmpty()) {
            throw new UnknownRefException("unknown ref '" + ref.text() + "': no tag or object has that name");
        }
        if (matches.size() > 1) {
            throw new AmbiguousRefException("ref '" + ref.text() + "' is ambiguous: it is a prefix of "
                    + matches.stream().map(Digest::shortHex).collect(Collectors.joining(", ")));
        }
        return matches.get(0);
    }

    public Digest resolve(String ref) {
        EnvSpec spec = EnvSpec.parse(ref);
        if (spec.refs().size() != 1) {
            throw new MalformedSpecException("expected a single ref, got the stack '" + ref + "'");
        }
        return resolve(spec.refs().get(0));
    }

    /** The layers of a spec, bottom-up, with platforms expanded. */
    public List<ResolvedLayer> resolveLayers(EnvSpec spec) {
        List<ResolvedLayer> out = new ArrayList<>();
        for (EnvSpec.Ref ref : spec.refs()) {
            expand(resolve(ref), out, ref.text());
        }
        return out;
    }

    private void expand(Digest digest, List<ResolvedLayer> out, String ref) {
        RepoObject object = read(digest);
        if (object instanceof Layer layer) {
            out.add(new ResolvedLayer(digest, layer.manifest()));
        } else if (object instanceof ManifestObject) {
            out.add(new ResolvedLayer(digest, digest));
        } else if (object instanceof Platform platform) {
            for (Digest layer : platform.layers()) {
                expand(layer, out, ref);
            }
        }
    }

    /** The manifests of a spec, bottom-up. */
    public List<Manifest> manifests(EnvSpec spec) {
        return resolveLayers(spec).stream().map(l -> manifest(l.manifest())).toList();
    }
}
