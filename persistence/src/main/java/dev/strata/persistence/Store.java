package dev.strata.persistence;

import java.io.InputStream;
import java.util.List;

/**
 * A repository as push, pull and read-through see it, wherever it lives: this machine's, another on a
 * mounted filesystem, an S3 bucket, or a {@code strata serve} across the network. The reading half and
 * the writing half are apart (as in JGit's ObjectReader and ObjectInserter) because most remotes are
 * only read. Every write is verified against its digest before it becomes visible, and an object is
 * written only after everything it refers to is present, so a present object implies its closure.
 */
public interface Store extends AutoCloseable {
    /** How users name this store in messages: {@code local}, {@code s3://bucket/prefix}, ... */
    String describe();

    // reading

    boolean hasObject(Digest digest);

    /** The object's encoded bytes; {@link UnknownRefException} when this store lacks it. */
    byte[] object(Digest digest);

    boolean hasBlob(Digest digest);

    /** Which of {@code digests} this store lacks as blobs; stores across a network answer many at once. */
    default java.util.Set<Digest> missingBlobs(java.util.Collection<Digest> digests) {
        java.util.Set<Digest> missing = new java.util.LinkedHashSet<>();
        for (Digest d : digests) {
            if (!hasBlob(d)) {
                missing.add(d);
            }
        }
        return missing;
    }

    /** The blob's content from {@code offset} on; {@link UnknownRefException} when this store lacks it. */
    InputStream blob(Digest digest, long offset);

    /** Takes each blob of a batch, in order; it reads the stream to its end (or fails) before the next arrives. */
    interface BlobSink {
        void accept(Digest digest, InputStream content) throws java.io.IOException;
    }

    /**
     * Reads several blobs one after another (all present, or {@link UnknownRefException}); stores across a
     * network send a batch in one request. Every blob's stream is closed by this call.
     */
    default void blobs(List<Digest> digests, BlobSink sink) throws java.io.IOException {
        for (Digest d : digests) {
            try (InputStream in = blob(d, 0)) {
                sink.accept(d, in);
            }
        }
    }

    /** Where a batch of blobs comes from: another store's {@link #blobs}, as a function. */
    interface BlobSource {
        void blobs(List<Digest> digests, BlobSink sink) throws java.io.IOException;
    }

    /**
     * Stores a batch of blobs read from {@code source}, each verified as {@link #putBlob} does; stores
     * across a network take the whole batch in one request.
     */
    default void putBlobs(List<Digest> digests, java.util.function.ToLongFunction<Digest> sizes, BlobSource source) throws java.io.IOException {
        source.blobs(digests, (d, in) -> putBlob(d, sizes.applyAsLong(d), in));
    }

    /** Every tag name, sorted. */
    List<String> tagNames();

    /** A tag's history, oldest first; empty when there is no such tag. */
    List<TagStore.TagEntry> tagHistory(String name);

    /** True when the object is here but not everything it reaches is (read-through copied it without its blobs). */
    default boolean isPartial(Digest digest) {
        return false;
    }

    // writing

    /** Marks an object about to be stored without its blobs (see {@link PartialMarks}). */
    default void markPartial(Digest digest) {
        throw new UnsupportedOperationException(describe() + " keeps only complete objects");
    }

    /** Everything the object reaches is here now. */
    default void markComplete(Digest digest) {
    }

    /** Stores an object whose encoding hashes to {@code digest}; refused (never stored) otherwise. */
    void putObject(Digest digest, byte[] encoded);

    /** Stores {@code size} bytes of content that must hash to {@code digest}; refused (never stored) otherwise. */
    void putBlob(Digest digest, long size, InputStream content);

    /**
     * Adds to tag {@code name} the history entries it lacks, in time order, as one atomic step, for user
     * {@code by} (who must be the tag's creator or root when the tag exists). Returns how many it added.
     */
    int mergeTag(String name, List<TagStore.TagEntry> entries, int by);

    @Override
    default void close() {
    }
}
