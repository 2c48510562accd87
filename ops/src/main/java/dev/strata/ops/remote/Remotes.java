package dev.strata.ops.remote;

import dev.strata.persistence.LocalStore;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.S3Store;
import dev.strata.persistence.Store;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Opens a configured remote as a {@link Store} of its kind. */
public final class Remotes {
    private Remotes() {
    }

    /**
     * The store behind {@code remote}. {@code env} supplies AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
     * AWS_REGION when the remote names none (the CLI's environment, as the AWS tools read it).
     */
    public static Store open(Remote remote, Map<String, String> env) {
        String label = remote.name() + " (" + remote.url() + ")";
        switch (remote.kind()) {
            case FILE -> {
                Path root = Path.of(URI.create(remote.url()));
                if (!Files.isRegularFile(root.resolve("VERSION"))) {
                    // a remote is an existing repository; a typo must not create an empty one somewhere
                    throw new RepositoryException("remote " + label + " is not a Strata repository: " + root + "/VERSION is missing"
                            + " (strata remote add makes one in an empty directory)");
                }
                return new LocalStore(Repository.open(root), label);
            }
            case S3 -> {
                String access = remote.accessKey() != null ? remote.accessKey() : env.get("AWS_ACCESS_KEY_ID");
                String secret = remote.accessKey() != null ? remote.secretKey() : env.get("AWS_SECRET_ACCESS_KEY");
                String region = remote.region() != null ? remote.region() : env.get("AWS_REGION");
                URI endpoint = remote.endpoint() != null ? URI.create(remote.endpoint()) : null;
                return new S3Store(S3Store.Settings.parse(remote.url(), endpoint, region, access, access != null ? secret : null), label);
            }
            default -> {
                return GrpcStore.connect(remote, label);
            }
        }
    }
}
