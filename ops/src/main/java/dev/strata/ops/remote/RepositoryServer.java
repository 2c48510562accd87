package dev.strata.ops.remote;

import com.google.protobuf.ByteString;
import dev.strata.persistence.CorruptObjectException;
import dev.strata.persistence.Digest;
import dev.strata.persistence.LocalStore;
import dev.strata.persistence.MalformedSpecException;
import dev.strata.persistence.PermissionDeniedException;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.TagStore;
import dev.strata.persistence.UnknownRefException;
import dev.strata.protocol.*;
import io.grpc.Status;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a {@code grpc://} remote ({@code strata serve}): one repository, read by anyone
 * the listener admits, written only with the configured write token. Every received object and blob
 * is verified by the repository before it becomes visible. Repository I/O runs on {@code blocking}.
 */
public final class RepositoryServer implements StrataRepository {
    private static final Logger log = LoggerFactory.getLogger(RepositoryServer.class);
    static final int CHUNK = 1 << 20;
    private static final int HAS_MAX = 4096;

    private final LocalStore store;
    private final byte[] writeToken;
    private final Executor blocking;
    private final Materializer materializer;
    private final AtomicLong blobsServed = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();

    /** {@code writeToken} null or empty: the repository is served read-only. */
    public RepositoryServer(LocalStore store, String writeToken, Executor blocking, Materializer materializer) {
        this.store = store;
        this.writeToken = writeToken == null || writeToken.isEmpty() ? null : writeToken.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.blocking = blocking;
        this.materializer = materializer;
    }

    public long blobsServed() {
        return blobsServed.get();
    }

    private <T> CompletionStage<T> io(Supplier<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.get();
            } catch (RuntimeException e) {
                throw grpcError(e);
            }
        }, blocking);
    }

    static RuntimeException grpcError(RuntimeException e) {
        if (e instanceof GrpcServiceException) {
            return e;
        }
        Status status;
        if (e instanceof UnknownRefException) {
            status = Status.NOT_FOUND;
        } else if (e instanceof PermissionDeniedException) {
            status = Status.PERMISSION_DENIED;
        } else if (e instanceof CorruptObjectException) {
            status = Status.DATA_LOSS;
        } else if (e instanceof IllegalArgumentException || e instanceof MalformedSpecException) {
            status = Status.INVALID_ARGUMENT;
        } else if (e instanceof RepositoryException || e instanceof java.io.UncheckedIOException) {
            status = Status.UNAVAILABLE;
        } else {
            log.error("unexpected failure serving the repository (a bug)", e);
            status = Status.INTERNAL;
        }
        String message = String.valueOf(e.getMessage());
        return new GrpcServiceException(status.withDescription(message.length() > 300 ? message.substring(0, 300) + "..." : message));
    }

    private static Digest digest(ByteString bytes) {
        if (bytes.size() != Digest.BYTES) {
            throw new IllegalArgumentException("a digest has " + Digest.BYTES + " bytes, not " + bytes.size());
        }
        return Digest.of(bytes.toByteArray());
    }

    private void authorizeWrite(String token) {
        if (writeToken == null) {
            throw new GrpcServiceException(Status.PERMISSION_DENIED.withDescription("this repository is served read-only"
                    + " (the server sets strata.serve.write-token to accept writes)"));
        }
        byte[] given = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(writeToken, given)) { // constant time
            throw new GrpcServiceException(Status.PERMISSION_DENIED.withDescription("the write token is wrong"));
        }
    }

    @Override
    public CompletionStage<HasReply> has(HasRequest in) {
        if (in.getDigestsCount() > HAS_MAX) {
            return CompletableFuture.failedFuture(grpcError(new IllegalArgumentException("at most " + HAS_MAX + " digests per call, not " + in.getDigestsCount())));
        }
        return io(() -> {
            HasReply.Builder out = HasReply.newBuilder();
            for (ByteString d : in.getDigestsList()) {
                Digest digest = digest(d);
                out.addPresent(in.getKind() == ContentKind.BLOB ? store.hasBlob(digest) : store.hasObject(digest));
            }
            return out.build();
        });
    }

    @Override
    public CompletionStage<GetObjectReply> getObject(GetObjectRequest in) {
        return io(() -> GetObjectReply.newBuilder().setEncoded(ByteString.copyFrom(store.object(digest(in.getDigest())))).build());
    }

    @Override
    public Source<BlobChunk, NotUsed> readBlob(ReadBlobRequest in) {
        Digest d;
        InputStream opened;
        try {
            d = digest(in.getDigest());
            opened = store.blob(d, in.getOffset());
        } catch (RuntimeException e) {
            return Source.failed(grpcError(e));
        }
        long limit = in.getLength() == 0 ? Long.MAX_VALUE : in.getLength();
        log.info("serving blob {} from {}{}", d.hex(), in.getOffset(), in.getLength() == 0 ? "" : " (" + in.getLength() + " bytes)");
        blobsServed.incrementAndGet();
        return StreamConverters.fromInputStream(() -> opened, CHUNK)
                .mapMaterializedValue(done -> NotUsed.getInstance())
                .statefulMapConcat(() -> {
                    long[] left = {limit};
                    return chunk -> {
                        if (left[0] <= 0) {
                            return List.of();
                        }
                        org.apache.pekko.util.ByteString part = chunk.size() > left[0] ? chunk.take((int) left[0]) : chunk;
                        left[0] -= part.size();
                        bytesServed.addAndGet(part.size());
                        return List.of(BlobChunk.newBuilder().setData(ByteString.copyFrom(part.toArray())).build());
                    };
                });
    }

    private static final int BATCH_MAX = 256;

    @Override
    public Source<BlobChunk, NotUsed> readBlobs(ReadBlobsRequest in) {
        List<Digest> digests;
        try {
            if (in.getDigestsCount() > BATCH_MAX) {
                throw new IllegalArgumentException("at most " + BATCH_MAX + " blobs per call, not " + in.getDigestsCount());
            }
            digests = in.getDigestsList().stream().map(RepositoryServer::digest).toList();
        } catch (RuntimeException e) {
            return Source.failed(grpcError(e));
        }
        // each blob: a chunk naming it, then its content; the next blob is opened only when this one is sent
        return Source.from(digests).flatMapConcat(d -> {
            InputStream opened;
            try {
                opened = store.blob(d, 0);
            } catch (RuntimeException e) {
                return Source.<BlobChunk>failed(grpcError(e));
            }
            log.info("serving blob {} from 0", d.hex());
            blobsServed.incrementAndGet();
            return Source.single(BlobChunk.newBuilder().setDigest(ByteString.copyFrom(d.bytes())).build())
                    .concat(StreamConverters.fromInputStream(() -> opened, CHUNK).map(chunk -> {
                        bytesServed.addAndGet(chunk.size());
                        return BlobChunk.newBuilder().setData(ByteString.copyFrom(chunk.toArray())).build();
                    }));
        });
    }

    @Override
    public CompletionStage<ListTagsReply> listTags(ListTagsRequest in) {
        return io(() -> ListTagsReply.newBuilder().addAllNames(store.tagNames()).build());
    }

    @Override
    public CompletionStage<TagHistoryReply> tagHistory(TagHistoryRequest in) {
        return io(() -> {
            TagHistoryReply.Builder out = TagHistoryReply.newBuilder();
            for (TagStore.TagEntry e : store.tagHistory(in.getName())) {
                out.addEntries(TagEntry.newBuilder().setTarget(ByteString.copyFrom(e.target().bytes())).setTimeMillis(e.time().toEpochMilli()));
            }
            return out.build();
        });
    }

    @Override
    public CompletionStage<PutReply> putObject(PutObjectRequest in) {
        return io(() -> {
            authorizeWrite(in.getToken());
            store.putObject(digest(in.getDigest()), in.getEncoded().toByteArray());
            return PutReply.getDefaultInstance();
        });
    }

    @Override
    public CompletionStage<PutReply> writeBlob(Source<BlobChunk, NotUsed> in) {
        // the first chunk names the blob and carries the token; its data and every later chunk's is the content
        return in.prefixAndTail(1).runWith(Sink.head(), materializer).thenCompose(pair -> {
            if (pair.first().isEmpty()) {
                return CompletableFuture.failedFuture(grpcError(new IllegalArgumentException("an empty blob upload")));
            }
            BlobChunk first = pair.first().get(0);
            Digest d;
            try {
                authorizeWrite(first.getToken());
                d = digest(first.getDigest());
            } catch (RuntimeException e) {
                pair.second().runWith(Sink.ignore(), materializer);
                return CompletableFuture.failedFuture(grpcError(e));
            }
            InputStream content = Source.single(first).concat(pair.second())
                    .map(c -> org.apache.pekko.util.ByteString.fromArrayUnsafe(c.getData().toByteArray()))
                    .runWith(StreamConverters.asInputStream(java.time.Duration.ofSeconds(60)), materializer);
            return io(() -> {
                try (InputStream stream = content) {
                    store.putBlob(d, first.getSize(), stream);
                } catch (java.io.IOException e) {
                    throw new RepositoryException("receiving blob " + d.shortHex() + " failed: " + e.getMessage(), e);
                }
                return PutReply.getDefaultInstance();
            });
        });
    }

    @Override
    public CompletionStage<PutReply> writeBlobs(Source<BlobChunk, NotUsed> in) {
        org.apache.pekko.stream.javadsl.SinkQueueWithCancel<BlobChunk> queue = in.runWith(Sink.queue(), materializer);
        return io(() -> {
            try {
                BlobChunk header = take(queue);
                if (header == null) {
                    throw new IllegalArgumentException("an empty blob upload");
                }
                authorizeWrite(header.getToken());
                while (header != null) {
                    if (header.getDigest().isEmpty()) {
                        throw new IllegalArgumentException("a chunk where a blob should begin names none");
                    }
                    Digest d = digest(header.getDigest());
                    ChunkedBlob content = new ChunkedBlob(header.getData(), () -> take(queue));
                    store.putBlob(d, header.getSize(), content);
                    header = content.skipToNext();
                }
                return PutReply.getDefaultInstance();
            } catch (java.io.IOException e) {
                throw new RepositoryException("receiving blobs failed: " + e.getMessage(), e);
            } finally {
                queue.cancel();
            }
        });
    }

    /** The next chunk of an upload, or null at its end; waits at most a minute. */
    private static BlobChunk take(org.apache.pekko.stream.javadsl.SinkQueueWithCancel<BlobChunk> queue) throws java.io.IOException {
        try {
            return queue.pull().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS).orElse(null);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new java.io.IOException("the upload broke off: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    @Override
    public CompletionStage<MergeTagReply> mergeTag(MergeTagRequest in) {
        return io(() -> {
            authorizeWrite(in.getToken());
            List<TagStore.TagEntry> entries = in.getEntriesList().stream()
                    .map(e -> new TagStore.TagEntry(digest(e.getTarget()), Instant.ofEpochMilli(e.getTimeMillis()), 0)).toList();
            return MergeTagReply.newBuilder().setAdded(store.mergeTag(in.getName(), entries, TagStore.processUid())).build();
        });
    }
}
