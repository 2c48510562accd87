package dev.strata.actors;

import dev.strata.engine.FsException;
import dev.strata.engine.Overlay;
import dev.strata.engine.ScratchCommit;
import dev.strata.engine.WorkMeter;
import dev.strata.engine.View;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryLock;
import dev.strata.persistence.RuntimeRecord;
import dev.strata.persistence.SnapshotRecord;
import dev.strata.persistence.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The writable upper of an editable runtime, on disk in {@code runtimes/<name>/}: the runtime
 * record, the scratch's data files and its journal. Its Mount serves requests from the scratch;
 * this actor, a child of the Mount on the blocking dispatcher, does the scratch's long jobs, so
 * that they never hold a Mount thread: opening it (replaying the journal over a merged stack) and
 * committing it into a layer.
 */
public final class Scratch {
    private Scratch() {
    }

    /** Where an editable runtime lives; {@code identity} tells its node ids from any other runtime's. */
    public record Setup(Path runtimeDir, Repository repo, String identity) {
        /**
         * The scratch that goes with a record: one per commit count, so that writing the record of a
         * commit is the one atomic step that moves the runtime to its new stack and an empty scratch.
         */
        public Path scratchDir(RuntimeRecord record) {
            return runtimeDir.resolve("scratch-" + record.commits());
        }

        /** Marks the directory as this runtime's, so that an ended namesake's cleanup leaves it alone. */
        public void claim() throws IOException {
            Files.writeString(runtimeDir.resolve("owner"), identity);
        }

        /** Whether the directory still belongs to this runtime (not to a namesake started since). */
        public boolean owns() {
            try {
                return identity.equals(Files.readString(runtimeDir.resolve("owner")));
            } catch (IOException e) {
                return false;
            }
        }
    }

    public sealed interface Command permits Commit, Capture {
    }

    /** Store the overlay's changes as a layer, leaving the scratch as it is, and record snapshot {@code name} in {@code dir}. */
    public record Capture(Overlay overlay, RuntimeRecord record, String name, Path dir, WorkMeter meter, ActorRef<Captured> replyTo)
            implements Command {
    }

    public record Captured(SnapshotRecord snapshot, Exception failure) {
    }

    /** Store the overlay's changes as a layer and start an empty scratch on the longer stack; {@code by} sets the tag. */
    public record Commit(Overlay overlay, RuntimeRecord record, String tag, String message, int by, WorkMeter meter,
                         ActorRef<Committed> replyTo) implements Command {
    }

    /**
     * The answer: on success {@code result}, and when it made a layer, the new record and the fresh
     * overlay; on failure {@code failure}, with the old overlay still in place.
     */
    public record Committed(ScratchCommit.Result result, RuntimeRecord record, Overlay overlay, Exception failure) {
    }

    static Behavior<Command> create(Setup setup) {
        return Behaviors.receive(Command.class)
                .onMessage(Commit.class, c -> {
                    c.replyTo().tell(commit(setup, c));
                    return Behaviors.same();
                })
                .onMessage(Capture.class, c -> {
                    c.replyTo().tell(capture(setup, c));
                    return Behaviors.same();
                })
                .build();
    }

    private static Committed commit(Setup setup, Commit c) {
        Map<String, String> annotations = annotations(c.record(), "strata.message", c.message());
        ScratchCommit.Result result;
        RuntimeRecord next;
        // under the repository's write lock until the record names the layer: a clean meanwhile must keep it
        try (RepositoryLock.Held lock = setup.repo().writing()) {
            result = ScratchCommit.commit(c.overlay(), setup.repo(), annotations, c.meter());
            if (result.empty()) {
                return new Committed(result, c.record(), c.overlay(), null);
            }
            if (c.tag() != null && !c.tag().isEmpty()) {
                setup.repo().tags().set(c.tag(), result.layer(), c.by());
            }
            next = c.record().withCommit(result.layer());
            // the one step that moves the runtime: its new record names the new stack and an empty scratch
            next.write(setup.runtimeDir());
        } catch (FsException | IOException | RuntimeException e) {
            return new Committed(null, c.record(), c.overlay(), e);
        }
        try {
            c.overlay().close();
            Renderer.deleteTree(setup.scratchDir(c.record()));
            return new Committed(result, next, open(setup, next), null);
        } catch (IOException | RuntimeException e) {
            // the layer is stored and the record names it: a restart of the Mount opens the new scratch
            throw new IllegalStateException("runtime " + next.name() + " committed " + result.layer().hex()
                    + " but its new scratch did not open: " + e.getMessage(), e);
        }
    }

    /**
     * A snapshot costs what the scratch changed: its new and changed files are hashed into the store
     * (once: the store keeps content by digest), the rest of the view is the runtime's layers.
     */
    private static Captured capture(Setup setup, Capture c) {
        try (RepositoryLock.Held lock = setup.repo().writing()) {
            ScratchCommit.Result result = ScratchCommit.commit(c.overlay(), setup.repo(),
                    annotations(c.record(), "strata.snapshot", c.name()), c.meter());
            List<Digest> layers = new ArrayList<>(c.record().layers());
            if (!result.empty()) {
                layers.add(result.layer());
            }
            SnapshotRecord snapshot = new SnapshotRecord(c.name(), c.record().name(), c.record().envSpec(), layers, Instant.now(),
                    c.record().owner());
            snapshot.write(c.dir());
            return new Captured(snapshot, null);
        } catch (FsException | IOException | RuntimeException e) {
            return new Captured(null, e);
        }
    }

    /** A layer made from a scratch names its runtime, and a message or snapshot name when there is one. */
    private static Map<String, String> annotations(RuntimeRecord record, String key, String value) {
        Map<String, String> annotations = new TreeMap<>();
        annotations.put("strata.runtime", record.name());
        if (value != null && !value.isEmpty()) {
            annotations.put(key, value);
        }
        return annotations;
    }

    /** The runtime's view: its stack merged, its scratch replayed on top. */
    static Overlay open(Setup setup, RuntimeRecord record) throws IOException {
        return Overlay.open(lower(setup.repo(), record), setup.scratchDir(record));
    }

    /** The stack an editable runtime stands on, merged. */
    static View lower(Setup setup) {
        try {
            RuntimeRecord record = RuntimeRecord.read(setup.runtimeDir());
            if (record == null) {
                throw new IllegalStateException("no runtime record in " + setup.runtimeDir());
            }
            return lower(setup.repo(), record);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static View lower(Repository repo, RuntimeRecord record) {
        List<Repository.ResolvedLayer> layers = record.layers().isEmpty() ? List.of() : repo.resolveLayers(record.stack());
        return View.of(layers.stream().map(l -> repo.manifest(l.manifest())).toList(), repo.blobs());
    }
}
