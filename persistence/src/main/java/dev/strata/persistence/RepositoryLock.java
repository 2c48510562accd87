package dev.strata.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A readers-writer lock that holds across threads and across processes: an in-process
 * {@link ReentrantReadWriteLock} in front of an fcntl lock on a file. Writers of new objects take it
 * shared; garbage collection takes it exclusive, so it never removes what an import is about to tag.
 *
 * <p>One instance per lock file per JVM, and one open channel to it: POSIX drops every lock a
 * process holds on a file when any descriptor of that file is closed.
 */
public final class RepositoryLock {
    private static final Map<Path, RepositoryLock> LOCKS = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock local = new ReentrantReadWriteLock();
    private FileChannel channel;
    private FileLock sharedOsLock;
    private int sharedHolders;

    /** Released by close(); try-with-resources friendly. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private RepositoryLock(Path file) {
        this.file = file;
    }

    public static RepositoryLock at(Path file) {
        return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), RepositoryLock::new);
    }

    public Held shared() {
        local.readLock().lock();
        try {
            synchronized (this) {
                if (sharedHolders == 0) {
                    sharedOsLock = channel().lock(0, Long.MAX_VALUE, true);
                }
                sharedHolders++;
            }
        } catch (IOException | RuntimeException e) {
            local.readLock().unlock();
            throw failure(e);
        }
        return () -> {
            synchronized (this) {
                if (--sharedHolders == 0) {
                    release(sharedOsLock);
                    sharedOsLock = null;
                }
            }
            local.readLock().unlock();
        };
    }

    public Held exclusive() {
        local.writeLock().lock();
        FileLock osLock;
        try {
            osLock = channel().lock();
        } catch (IOException | RuntimeException e) {
            local.writeLock().unlock();
            throw failure(e);
        }
        return () -> {
            release(osLock);
            local.writeLock().unlock();
        };
    }

    private synchronized FileChannel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return channel;
    }

    private static void release(FileLock lock) {
        try {
            lock.release();
        } catch (IOException e) {
            throw new UncheckedIOException("releasing a repository lock failed", e);
        }
    }

    private RuntimeException failure(Exception e) {
        return e instanceof RuntimeException r ? r : new UncheckedIOException("locking " + file + " failed", (IOException) e);
    }
}
