package dev.strata.ops.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.strata.persistence.CorruptObjectException;
import dev.strata.persistence.Digest;
import dev.strata.persistence.PermissionDeniedException;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.Store;
import dev.strata.persistence.TagStore;
import dev.strata.persistence.UnknownRefException;
import dev.strata.protocol.*;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A {@code grpc://} (or TLS {@code grpcs://}) remote: a repository served by {@code strata serve},
 * through plain grpc-java (no actor system in the client). Uploads respect HTTP/2 flow control, so a
 * big blob streams in constant memory.
 */
public final class GrpcStore implements Store {
    private static final String SERVICE = "strata.v1.StrataRepository";
    private static final long CALL_SECONDS = 60;

    private final ManagedChannel channel;
    /** Blob streams spread over a few connections: one HTTP/2 connection's server side tops out well below the disk. */
    private final ManagedChannel[] blobChannels;
    private final java.util.concurrent.atomic.AtomicInteger nextBlobChannel = new java.util.concurrent.atomic.AtomicInteger();
    private static final int BLOB_CONNECTIONS = 4;
    private final String label;
    private final String token;

    private GrpcStore(java.util.function.Supplier<ManagedChannel> channels, String label, String token) {
        this.channel = channels.get();
        this.blobChannels = new ManagedChannel[BLOB_CONNECTIONS];
        blobChannels[0] = channel;
        for (int i = 1; i < BLOB_CONNECTIONS; i++) {
            blobChannels[i] = channels.get();
        }
        this.label = label;
        this.token = token == null ? "" : token;
    }

    static GrpcStore connect(Remote remote, String label) {
        URI uri = URI.create(remote.url());
        String target = uri.getHost() + ":" + uri.getPort();
        io.grpc.ChannelCredentials credentials;
        if (remote.kind() != Remote.Kind.GRPCS) {
            credentials = InsecureChannelCredentials.create();
        } else if (remote.ca() == null) {
            credentials = TlsChannelCredentials.create(); // the system's trusted authorities
        } else {
            try {
                credentials = TlsChannelCredentials.newBuilder().trustManager(new java.io.File(remote.ca())).build();
            } catch (IOException e) {
                throw new RepositoryException("remote " + label + ": cannot read its certificate authority " + remote.ca() + ": " + e.getMessage(), e);
            }
        }
        io.grpc.ChannelCredentials chosen = credentials;
        return new GrpcStore(() -> Grpc.newChannelBuilder(target, chosen).maxInboundMessageSize(64 * 1024 * 1024).build(), label, remote.token());
    }

    private static <Q extends Message, A extends Message> MethodDescriptor<Q, A> method(String name, MethodDescriptor.MethodType type, Q q, A a) {
        return MethodDescriptor.<Q, A>newBuilder().setType(type).setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(ProtoUtils.marshaller(q)).setResponseMarshaller(ProtoUtils.marshaller(a)).build();
    }

    private static final MethodDescriptor<HasRequest, HasReply> HAS = method("Has", MethodDescriptor.MethodType.UNARY,
            HasRequest.getDefaultInstance(), HasReply.getDefaultInstance());
    private static final MethodDescriptor<GetObjectRequest, GetObjectReply> GET_OBJECT = method("GetObject", MethodDescriptor.MethodType.UNARY,
            GetObjectRequest.getDefaultInstance(), GetObjectReply.getDefaultInstance());
    private static final MethodDescriptor<ReadBlobRequest, BlobChunk> READ_BLOB = method("ReadBlob", MethodDescriptor.MethodType.SERVER_STREAMING,
            ReadBlobRequest.getDefaultInstance(), BlobChunk.getDefaultInstance());
    private static final MethodDescriptor<ReadBlobsRequest, BlobChunk> READ_BLOBS = method("ReadBlobs", MethodDescriptor.MethodType.SERVER_STREAMING,
            ReadBlobsRequest.getDefaultInstance(), BlobChunk.getDefaultInstance());
    private static final MethodDescriptor<ListTagsRequest, ListTagsReply> LIST_TAGS = method("ListTags", MethodDescriptor.MethodType.UNARY,
            ListTagsRequest.getDefaultInstance(), ListTagsReply.getDefaultInstance());
    private static final MethodDescriptor<TagHistoryRequest, TagHistoryReply> TAG_HISTORY = method("TagHistory", MethodDescriptor.MethodType.UNARY,
            TagHistoryRequest.getDefaultInstance(), TagHistoryReply.getDefaultInstance());
    private static final MethodDescriptor<PutObjectRequest, PutReply> PUT_OBJECT = method("PutObject", MethodDescriptor.MethodType.UNARY,
            PutObjectRequest.getDefaultInstance(), PutReply.getDefaultInstance());
    private static final MethodDescriptor<BlobChunk, PutReply> WRITE_BLOB = method("WriteBlob", MethodDescriptor.MethodType.CLIENT_STREAMING,
            BlobChunk.getDefaultInstance(), PutReply.getDefaultInstance());
    private static final MethodDescriptor<BlobChunk, PutReply> WRITE_BLOBS = method("WriteBlobs", MethodDescriptor.MethodType.CLIENT_STREAMING,
            BlobChunk.getDefaultInstance(), PutReply.getDefaultInstance());
    private static final MethodDescriptor<MergeTagRequest, MergeTagReply> MERGE_TAG = method("MergeTag", MethodDescriptor.MethodType.UNARY,
            MergeTagRequest.getDefaultInstance(), MergeTagReply.getDefaultInstance());

    private CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    private <Q, A> A unary(MethodDescriptor<Q, A> method, Q request, String what) {
        try {
            return ClientCalls.blockingUnaryCall(channel, method, options(), request);
        } catch (StatusRuntimeException e) {
            throw error(e, what);
        }
    }

    /** The server's status as the error a user reads, naming this remote. */
    private RepositoryException error(StatusRuntimeException e, String what) {
        Status s = e.getStatus();
        String detail = s.getDescription() != null ? s.getDescription() : s.getCode().toString();
        return switch (s.getCode()) {
            case NOT_FOUND -> new UnknownRefException(detail + " (remote " + label + ")");
            case PERMISSION_DENIED -> new PermissionDeniedException("remote " + label + " refused to " + what + ": " + detail);
            case UNAVAILABLE -> new RepositoryException("cannot " + what + ": remote " + label + " is unreachable (" + detail + ")", e);
            case DEADLINE_EXCEEDED -> new RepositoryException("cannot " + what + ": remote " + label + " did not answer within " + CALL_SECONDS + " s", e);
            case DATA_LOSS -> new RepositoryException("remote " + label + " refused corrupt content: " + detail, e);
            default -> new RepositoryException("cannot " + what + " on remote " + label + ": " + s.getCode() + " " + detail, e);
        };
    }

    @Override
    public String describe() {
        return label;
    }

    private boolean has(ContentKind kind, Digest d) {
        HasReply r = unary(HAS, HasRequest.newBuilder().setKind(kind).addDigests(ByteString.copyFrom(d.bytes())).build(), "look up " + d.shortHex());
        return r.getPresentCount() == 1 && r.getPresent(0);
    }

    @Override
    public boolean hasObject(Digest digest) {
        return has(ContentKind.OBJECT, digest);
    }

    @Override
    public byte[] object(Digest digest) {
        return unary(GET_OBJECT, GetObjectRequest.newBuilder().setDigest(ByteString.copyFrom(digest.bytes())).build(),
                "read object " + digest.shortHex()).getEncoded().toByteArray();
    }

    /** Asks in batches of the server's limit: one round trip per 4096 blobs. */
    @Override
    public java.util.Set<Digest> missingBlobs(java.util.Collection<Digest> digests) {
        java.util.Set<Digest> missing = new java.util.LinkedHashSet<>();
        List<Digest> all = List.copyOf(digests);
        for (int from = 0; from < all.size(); from += 4096) {
            List<Digest> batch = all.subList(from, Math.min(all.size(), from + 4096));
            HasRequest.Builder q = HasRequest.newBuilder().setKind(ContentKind.BLOB);
            batch.forEach(d -> q.addDigests(ByteString.copyFrom(d.bytes())));
            HasReply r = unary(HAS, q.build(), "look up " + batch.size() + " blobs");
            if (r.getPresentCount() != batch.size()) {
                throw new RepositoryException("remote " + label + " answered " + r.getPresentCount() + " of " + batch.size() + " lookups");
            }
            for (int i = 0; i < batch.size(); i++) {
                if (!r.getPresent(i)) {
                    missing.add(batch.get(i));
                }
            }
        }
        return missing;
    }

    @Override
    public boolean hasBlob(Digest digest) {
        return has(ContentKind.BLOB, digest);
    }

    @Override
    public InputStream blob(Digest digest, long offset) {
        ClientCall<ReadBlobRequest, BlobChunk> call = blobChannel().newCall(READ_BLOB, CallOptions.DEFAULT);
        Iterator<BlobChunk> chunks = ClientCalls.blockingServerStreamingCall(call,
                ReadBlobRequest.newBuilder().setDigest(ByteString.copyFrom(digest.bytes())).setOffset(offset).build());
        String what = "read blob " + digest.shortHex();
        try {
            chunks.hasNext(); // the first answer (or the refusal: an unknown blob) arrives here
        } catch (StatusRuntimeException e) {
            throw error(e, what);
        }
        return new InputStream() {
            private ByteString current = ByteString.EMPTY;
            private int at;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                try {
                    while (at >= current.size()) {
                        if (!chunks.hasNext()) {
                            return -1;
                        }
                        current = chunks.next().getData();
                        at = 0;
                    }
                } catch (StatusRuntimeException e) {
                    throw new IOException(error(e, what).getMessage(), e);
                }
                int n = Math.min(len, current.size() - at);
                current.copyTo(buf, at, off, n);
                at += n;
                return n;
            }

            @Override
            public void close() {
                call.cancel("closed by the reader", null);
            }
        };
    }

    /** A batch in one stream: each blob's chunks follow the chunk that names it. */
    @Override
    public void blobs(List<Digest> digests, BlobSink sink) throws IOException {
        ClientCall<ReadBlobsRequest, BlobChunk> call = blobChannel().newCall(READ_BLOBS, CallOptions.DEFAULT);
        ReadBlobsRequest.Builder q = ReadBlobsRequest.newBuilder();
        digests.forEach(d -> q.addDigests(ByteString.copyFrom(d.bytes())));
        String what = "read " + digests.size() + " blobs";
        try {
            Iterator<BlobChunk> chunks = ClientCalls.blockingServerStreamingCall(call, q.build());
            BlobChunk header = chunks.hasNext() ? chunks.next() : null;
            for (Digest expected : digests) {
                if (header == null || header.getDigest().isEmpty() || !Digest.of(header.getDigest().toByteArray()).equals(expected)) {
                    throw new RepositoryException("remote " + label + " sent the blobs of a batch out of order (expected " + expected.shortHex() + ")");
                }
                ChunkedBlob content = new ChunkedBlob(header.getData(), () -> {
                    try {
                        return chunks.hasNext() ? chunks.next() : null;
                    } catch (StatusRuntimeException e) {
                        throw new IOException(error(e, "read a blob").getMessage(), e);
                    }
                });
                sink.accept(expected, content);
                header = content.skipToNext();
            }
        } catch (StatusRuntimeException e) {
            throw error(e, what);
        } finally {
            call.cancel("done", null);
        }
    }

    @Override
    public List<String> tagNames() {
        return unary(LIST_TAGS, ListTagsRequest.getDefaultInstance(), "list tags").getNamesList();
    }

    @Override
    public List<TagStore.TagEntry> tagHistory(String name) {
        return unary(TAG_HISTORY, TagHistoryRequest.newBuilder().setName(name).build(), "read tag " + name).getEntriesList().stream()
                .map(e -> new TagStore.TagEntry(Digest.of(e.getTarget().toByteArray()), Instant.ofEpochMilli(e.getTimeMillis()), 0)).toList();
    }

    @Override
    public void putObject(Digest digest, byte[] encoded) {
        unary(PUT_OBJECT, PutObjectRequest.newBuilder().setDigest(ByteString.copyFrom(digest.bytes())).setEncoded(ByteString.copyFrom(encoded))
                .setToken(token).build(), "store object " + digest.shortHex());
    }

    @Override
    public void putBlob(Digest digest, long size, InputStream content) {
        Upload upload = new Upload(WRITE_BLOB);
        upload.run("store blob " + digest.shortHex(), digest, () ->
                upload.sendBlob(BlobChunk.newBuilder().setDigest(ByteString.copyFrom(digest.bytes())).setSize(size).setToken(token), content));
    }

    /** A batch in one upload: each blob's chunks follow the chunk that names it. */
    @Override
    public void putBlobs(List<Digest> digests, java.util.function.ToLongFunction<Digest> sizes, BlobSource source) {
        Upload upload = new Upload(WRITE_BLOBS);
        upload.run("store " + digests.size() + " blobs", null, () -> {
            boolean[] first = {true};
            source.blobs(digests, (d, in) -> {
                BlobChunk.Builder header = BlobChunk.newBuilder().setDigest(ByteString.copyFrom(d.bytes())).setSize(sizes.applyAsLong(d));
                if (first[0]) {
                    header.setToken(token);
                    first[0] = false;
                }
                try {
                    upload.sendBlob(header, in);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("the upload was interrupted");
                }
            });
        });
    }

    /** A client-streaming upload that respects HTTP/2 flow control, so a big blob streams in constant memory. */
    private final class Upload {
        private final CompletableFuture<PutReply> answer = new CompletableFuture<>();
        private final Object ready = new Object();
        private ClientCallStreamObserver<BlobChunk> stream;

        Upload(MethodDescriptor<BlobChunk, PutReply> method) {
            ClientCalls.asyncClientStreamingCall(blobChannel().newCall(method, CallOptions.DEFAULT), new ClientResponseObserver<BlobChunk, PutReply>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<BlobChunk> requests) {
                    stream = requests;
                    requests.setOnReadyHandler(() -> {
                        synchronized (ready) {
                            ready.notifyAll();
                        }
                    });
                }

                @Override
                public void onNext(PutReply value) {
                    answer.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                    synchronized (ready) {
                        ready.notifyAll();
                    }
                }

                @Override
                public void onCompleted() {
                    answer.complete(PutReply.getDefaultInstance());
                }
            });
        }

        /** Sends a blob: the header chunk with the first content, then the rest; stops when the server has answered (refused). */
        void sendBlob(BlobChunk.Builder header, InputStream content) throws IOException, InterruptedException {
            byte[] buf = new byte[RepositoryServer.CHUNK];
            boolean sent = false;
            for (int n; (n = content.readNBytes(buf, 0, buf.length)) > 0 || !sent; ) {
                synchronized (ready) {
                    while (!stream.isReady() && !answer.isDone()) {
                        ready.wait(1000);
                    }
                }
                if (answer.isDone()) {
                    return; // refused early: the answer says why
                }
                BlobChunk.Builder chunk = sent ? BlobChunk.newBuilder() : header;
                stream.onNext(chunk.setData(ByteString.copyFrom(buf, 0, Math.max(n, 0))).build());
                sent = true;
                if (n <= 0) {
                    break;
                }
            }
        }

        interface Sending {
            void send() throws IOException, InterruptedException;
        }

        /** Sends, ends the upload and waits for the server's answer, which says whether all arrived sound. */
        void run(String what, Digest single, Sending sending) {
            try {
                sending.send();
                if (!answer.isDone()) {
                    stream.onCompleted();
                }
                answer.get(CALL_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StatusRuntimeException s) {
                    if (s.getStatus().getCode() == Status.Code.DATA_LOSS && single != null) {
                        throw new CorruptObjectException(single, String.valueOf(s.getStatus().getDescription())).receivedFrom("blob", single, "this repository");
                    }
                    throw error(s, what);
                }
                throw new RepositoryException("cannot " + what + " on remote " + label + ": " + e.getCause(), e.getCause());
            } catch (IOException e) {
                stream.onError(Status.CANCELLED.withDescription("the local read failed").asRuntimeException());
                throw new RepositoryException("reading what " + what + " sends failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stream.onError(Status.CANCELLED.asRuntimeException());
                throw new RepositoryException("cannot " + what + ": interrupted", e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new RepositoryException("cannot " + what + ": remote " + label + " did not answer within " + CALL_SECONDS + " s", e);
            } catch (RuntimeException e) {
                stream.onError(Status.CANCELLED.withDescription("the sender failed").asRuntimeException());
                throw e;
            }
        }
    }

    @Override
    public int mergeTag(String name, List<TagStore.TagEntry> entries, int by) {
        MergeTagRequest.Builder r = MergeTagRequest.newBuilder().setName(name).setToken(token);
        for (TagStore.TagEntry e : entries) {
            r.addEntries(dev.strata.protocol.TagEntry.newBuilder().setTarget(ByteString.copyFrom(e.target().bytes())).setTimeMillis(e.time().toEpochMilli()));
        }
        return unary(MERGE_TAG, r.build(), "move tag " + name).getAdded();
    }

    private ManagedChannel blobChannel() {
        return blobChannels[Math.floorMod(nextBlobChannel.getAndIncrement(), BLOB_CONNECTIONS)];
    }

    @Override
    public void close() {
        for (ManagedChannel c : blobChannels) {
            c.shutdownNow();
        }
        try {
            for (ManagedChannel c : blobChannels) {
                c.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
