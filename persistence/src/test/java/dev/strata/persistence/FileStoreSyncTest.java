package dev.strata.persistence;

import java.nio.file.Files;

/** The {@code file://} kind: another repository on a mounted filesystem. */
class FileStoreSyncTest extends StoreSyncContract {
    @Override
    protected Store newRemote() {
        return new LocalStore(Repository.open(tmp.resolve("remote")), "file://" + tmp.resolve("remote"));
    }

    @Override
    protected void corruptBlob(Store remote, Digest blob, byte[] bytes) throws Exception {
        java.nio.file.Path p = ((LocalStore) remote).repository().blobs().path(blob);
        p.toFile().setWritable(true);
        Files.write(p, bytes);
    }
}
