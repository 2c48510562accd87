package dev.strata.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, R2, ...), through the AWS
 * SDK. Keys mirror the on-disk layout under a prefix: {@code PREFIX/objects/sha256/ab/cdef...},
 * {@code PREFIX/blobs/sha256/...}, {@code PREFIX/tags/NAME.tag}. A PUT is atomic in S3, and an upload
 * whose content does not hash to its name is broken off before its last byte, so no key ever holds
 * content other than its name says. Tag updates are read-merge-write: two writers of one tag at the
 * same moment may lose an entry (S3 has no lock), which a later push of the same tag repairs.
 */
public final class S3Store implements Store {
    /** Where and how to reach the bucket; null fields take the AWS SDK's defaults (its environment variables). */
    public record Settings(String bucket, String prefix, URI endpoint, String region, String accessKey, String secretKey) {
        /** Parses {@code s3://bucket[/prefix]}. */
        public static Settings parse(String url, URI endpoint, String region, String accessKey, String secretKey) {
            if (!url.startsWith("s3://") || url.length() == 5) {
                throw new IllegalArgumentException("an S3 remote is s3://BUCKET[/PREFIX], not '" + shorten(url) + "'");
            }
            String rest = url.substring(5);
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new IllegalArgumentException("'" + shorten(bucket) + "' is not an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')");
            }
            return new Settings(bucket, prefix, endpoint, region, accessKey, secretKey);
        }
    }

    private final Settings settings;
    private final S3Client s3;
    private final String name;
    private volatile boolean bucketChecked;

    public S3Store(Settings settings) {
        this(settings, "s3://" + settings.bucket() + (settings.prefix().isEmpty() ? "" : "/" + settings.prefix()));
    }

    /** A store that messages call {@code name} (a remote's name and URL). */
    public S3Store(Settings settings, String name) {
        this.settings = settings;
        this.name = name;
        AwsCredentialsProvider credentials = settings.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()))
                : DefaultCredentialsProvider.builder().build();
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(credentials)
                .region(Region.of(settings.region() != null ? settings.region() : "us-east-1"))
                // S3-compatible servers do not all know the SDK's newer CRC checksums; our own digests cover content
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED);
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint()).forcePathStyle(true); // MinIO, S3Proxy, Ceph: path-style
        }
        this.s3 = builder.build();
    }

    @Override
    public String describe() {
        return name;
    }

    private String key(String kind, Digest d) {
        String hex = d.hex();
        return base() + kind + "/sha256/" + hex.substring(0, 2) + "/" + hex.substring(2);
    }

    private String base() {
        return settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
    }

    private String tagKey(String tag) {
        return base() + "tags/" + tag + ".tag";
    }

    private boolean exists(String key) {
        checkBucketOnce();
        return call("look up " + key, () -> {
            try {
                s3.headObject(b -> b.bucket(settings.bucket()).key(key));
                return true;
            } catch (NoSuchKeyException e) {
                return false;
            } catch (S3Exception e) {
                if (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e))) {
                    return false;
                }
                throw e;
            }
        });
    }

    /** A HEAD of a key answers a bare 404 for a missing bucket too; ask about the bucket once, so that error is named. */
    private void checkBucketOnce() {
        if (!bucketChecked) {
            call("find the bucket", () -> s3.headBucket(b -> b.bucket(settings.bucket())));
            bucketChecked = true;
        }
    }

    @Override
    public boolean hasObject(Digest digest) {
        return exists(key("objects", digest));
    }

    @Override
    public byte[] object(Digest digest) {
        return call("read object " + digest.shortHex(), () -> {
            try {
                return s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key("objects", digest))).asByteArray();
            } catch (NoSuchKeyException e) {
                throw new UnknownRefException("no object " + digest + " in " + name);
            }
        });
    }

    @Override
    public boolean hasBlob(Digest digest) {
        return exists(key("blobs", digest));
    }

    /** Asks about many keys at once, a few requests in flight (each HEAD is a round trip). */
    @Override
    public java.util.Set<Digest> missingBlobs(java.util.Collection<Digest> digests) {
        checkBucketOnce();
        java.util.Set<Digest> missing = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(16);
        try {
            pool.submit(() -> digests.parallelStream().filter(d -> !hasBlob(d)).forEach(missing::add)).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new RepositoryException(String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException("interrupted while asking " + name + " which blobs it has", e);
        } finally {
            pool.shutdown();
        }
        java.util.Set<Digest> ordered = new java.util.LinkedHashSet<>();
        digests.stream().filter(missing::contains).forEach(ordered::add);
        return ordered;
    }

    @Override
    public InputStream blob(Digest digest, long offset) {
        return call("read blob " + digest.shortHex(), () -> {
            try {
                return s3.getObject(b -> {
                    b.bucket(settings.bucket()).key(key("blobs", digest));
                    if (offset > 0) {
                        b.range("bytes=" + offset + "-");
                    }
                });
            } catch (NoSuchKeyException e) {
                throw new UnknownRefException("no blob " + digest + " in " + name);
            }
        });
    }

    @Override
    public List<String> tagNames() {
        return call("list tags", () -> {
            List<String> names = new ArrayList<>();
            String prefix = base() + "tags/";
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(prefix)).contents()) {
                String rel = o.key().substring(prefix.length());
                if (rel.endsWith(".tag")) {
                    String tag = rel.substring(0, rel.length() - 4);
                    if (TagStore.isValidName(tag)) {
                        names.add(tag);
                    }
                }
            }
            names.sort(null);
            return names;
        });
    }

    @Override
    public List<TagStore.TagEntry> tagHistory(String tag) {
        if (!TagStore.isValidName(tag)) {
            return List.of();
        }
        return call("read tag " + tag, () -> {
            try {
                String text = s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(tagKey(tag))).asString(StandardCharsets.UTF_8);
                return TagStore.parse(text, name + "/tags/" + tag + ".tag");
            } catch (NoSuchKeyException e) {
                return List.of();
            }
        });
    }

    @Override
    public void putObject(Digest digest, byte[] encoded) {
        if (!Digest.sha256(encoded).equals(digest)) {
            throw new CorruptObjectException(digest, "its content hashes to " + Digest.sha256(encoded).shortHex());
        }
        ObjectCodec.decode(digest, encoded);
        call("store object " + digest.shortHex(), () ->
                s3.putObject(b -> b.bucket(settings.bucket()).key(key("objects", digest)), RequestBody.fromBytes(encoded)));
    }

    @Override
    public void putBlob(Digest digest, long size, InputStream content) {
        VerifyingStream verified = new VerifyingStream(content, digest, size);
        try {
            call("store blob " + digest.shortHex(), () ->
                    s3.putObject(b -> b.bucket(settings.bucket()).key(key("blobs", digest)).contentLength(size),
                            RequestBody.fromInputStream(verified, size)));
        } catch (RepositoryException e) {
            if (verified.refusal != null) {
                throw verified.refusal;
            }
            throw e;
        }
    }

    @Override
    public int mergeTag(String tag, List<TagStore.TagEntry> entries, int by) {
        TagStore.checkName(tag);
        List<TagStore.TagEntry> current = tagHistory(tag);
        int before = current.size();
        List<TagStore.TagEntry> history = TagStore.merged(current, entries, by);
        if (history.size() == before) {
            return 0;
        }
        byte[] text = TagStore.render(history).getBytes(StandardCharsets.UTF_8);
        call("write tag " + tag, () -> s3.putObject(b -> b.bucket(settings.bucket()).key(tagKey(tag)), RequestBody.fromBytes(text)));
        return history.size() - before;
    }

    @Override
    public void close() {
        s3.close();
    }

    /** Turns the SDK's exceptions into errors that say which remote failed and what a user can do. */
    private <T> T call(String what, java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (S3Exception e) {
            String code = code(e);
            if ("NoSuchBucket".equals(code) || e instanceof software.amazon.awssdk.services.s3.model.NoSuchBucketException
                    || (e.statusCode() == 404 && what.equals("find the bucket"))) {
                throw new RepositoryException("the bucket '" + settings.bucket() + "' of " + name + " does not exist"
                        + (settings.endpoint() != null ? " at " + settings.endpoint() : ""), e);
            }
            if (e.statusCode() == 403 || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
                throw new RepositoryException(name + " refused the credentials (" + code + "): check the remote's access key and secret"
                        + " or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY", e);
            }
            throw new RepositoryException("cannot " + what + " in " + name + ": " + code + " (HTTP " + e.statusCode() + ")", e);
        } catch (SdkClientException e) {
            throw new RepositoryException("cannot " + what + " in " + name + ": " + shorten(String.valueOf(e.getMessage()))
                    + (settings.endpoint() != null ? " (endpoint " + settings.endpoint() + ")" : ""), e);
        } catch (SdkException e) {
            throw new RepositoryException("cannot " + what + " in " + name + ": " + shorten(String.valueOf(e.getMessage())), e);
        }
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null ? e.awsErrorDetails().errorCode() : "HTTP " + e.statusCode();
    }

    private static String shorten(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    /**
     * Hashes an upload as it is read and refuses to hand over its last bytes when they would complete
     * content other than {@code expected}: the server never receives a whole object, so it stores none.
     */
    private static final class VerifyingStream extends InputStream {
        private final InputStream in;
        private final Digest expected;
        private final long size;
        private final MessageDigest hasher = Digest.newHasher();
        private long read;
        volatile CorruptObjectException refusal;

        VerifyingStream(InputStream in, Digest expected, long size) {
            this.in = in;
            this.expected = expected;
            this.size = size;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (read >= size) {
                return -1;
            }
            int n = in.read(buf, off, (int) Math.min(len, size - read));
            if (n < 0) {
                refusal = new CorruptObjectException(expected, "it ended after " + read + " of " + size + " bytes");
                throw new IOException(refusal.getMessage());
            }
            hasher.update(buf, off, n);
            read += n;
            if (read == size) {
                Digest actual = Digest.of(hasher.digest());
                if (!actual.equals(expected)) {
                    refusal = new CorruptObjectException(expected, "its content hashes to " + actual.shortHex());
                    throw new IOException(refusal.getMessage());
                }
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
