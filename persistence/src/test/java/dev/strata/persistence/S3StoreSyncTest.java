package dev.strata.persistence;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code s3://} kind, against S3Proxy: a real S3 API server over a local directory, on loopback. */
class S3StoreSyncTest extends StoreSyncContract {
    private static final String ACCESS = "strata-test";
    private static final String SECRET = "strata-test-secret";

    private S3Proxy proxy;
    private BlobStoreContext context;
    private Path data;

    private URI start() throws Exception {
        data = Files.createDirectories(tmp.resolve("s3-data"));
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", data.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("x", "y").overrides(props).build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, "strata-remote");
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        for (int i = 0; i < 500 && !proxy.getState().equals("STARTED"); i++) {
            Thread.sleep(10);
        }
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (context != null) {
            context.close();
        }
    }

    @Override
    protected Store newRemote() throws Exception {
        URI endpoint = start();
        return new S3Store(S3Store.Settings.parse("s3://strata-remote/team/repo", endpoint, null, ACCESS, SECRET));
    }

    @Override
    protected void corruptBlob(Store remote, Digest blob, byte[] bytes) throws Exception {
        Path file = data.resolve("strata-remote/team/repo/blobs/sha256").resolve(blob.hex().substring(0, 2)).resolve(blob.hex().substring(2));
        Files.write(file, bytes);
    }

    @Test
    void badCredentialsAndAMissingBucketAreNamed() throws Exception {
        URI endpoint = start();
        try (S3Store wrong = new S3Store(S3Store.Settings.parse("s3://strata-remote", endpoint, null, ACCESS, "not-the-secret"))) {
            RepositoryException e = assertThrows(RepositoryException.class, wrong::tagNames);
            assertTrue(e.getMessage().contains("refused the credentials"), e.getMessage());
        }
        try (S3Store missing = new S3Store(S3Store.Settings.parse("s3://no-such-bucket", endpoint, null, ACCESS, SECRET))) {
            RepositoryException e = assertThrows(RepositoryException.class, () -> missing.hasObject(Digest.sha256(new byte[0])));
            assertTrue(e.getMessage().contains("'no-such-bucket'") && e.getMessage().contains("does not exist"), e.getMessage());
        }
        try (S3Store unreachable = new S3Store(S3Store.Settings.parse("s3://strata-remote", URI.create("http://127.0.0.1:9"), null, ACCESS, SECRET))) {
            RepositoryException e = assertThrows(RepositoryException.class, unreachable::tagNames);
            assertTrue(e.getMessage().contains("s3://strata-remote") && e.getMessage().contains("127.0.0.1:9"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> S3Store.Settings.parse("s3://UPPER/x", endpoint, null, null, null));
    }
}
