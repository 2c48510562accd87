package dev.strata.ops.daemon;

import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.Renderer;
import dev.strata.persistence.Repository;
import dev.strata.protocol.RuntimeInfo;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.grpc.GrpcServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon without FUSE (no /dev/fuse in a container, macFUSE missing or not approved, or {@code
 * --no-fuse}) still runs commands: each runtime's view is rendered once into a real directory under
 * the mount point ({@code MOUNTPOINT/NAME}, reflinks or clonefile where the disk can), its trees run
 * there, and the copy is deleted when the runtime ends. What is lost is said in one line: the view is
 * not isolated (any process may open the copy's path), it is not at the mount point itself, layers
 * are fetched in full before the command starts, and changes cannot be committed, snapshotted or
 * branched (they are in the copy, not in a scratch).
 */
final class DegradedViews {
    private static final Logger log = LoggerFactory.getLogger(DegradedViews.class);
    /** Beside each copy: says it is ours, so a copy left by a killed daemon is deleted at the next start. */
    private static final String MARKER_SUFFIX = ".strata-copy";

    private final Repository repo;
    private final Path root;
    private final String reason;
    /** Whether a runtime still runs: a copy outlives none of its runtime's trees. */
    private final Function<String, CompletionStage<Boolean>> running;
    private final Map<String, Path> copies = new ConcurrentHashMap<>();
    /** Renders run here: they read and write whole trees, never on the actor system's threads. */
    private final java.util.concurrent.ExecutorService renders = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "degraded-render");
        t.setDaemon(true);
        return t;
    });

    DegradedViews(Repository repo, Path mountpoint, String reason, Function<String, CompletionStage<Boolean>> running) throws IOException {
        this.repo = repo;
        this.root = mountpoint;
        this.reason = reason;
        this.running = running;
        Files.createDirectories(mountpoint);
        clearLeftovers();
    }

    /** Why the daemon runs degraded. */
    String reason() {
        return reason;
    }

    /** The warning a command's launcher prints before it runs. */
    String warning(Path copy) {
        return "strata: no FUSE (" + reason + "): running over a rendered copy of the view at " + copy
                + "; it is not isolated from other processes, not at the mount point, fetched in full, and cannot be committed";
    }

    /** A refusal of work that needs the live mount. */
    GrpcServiceException refusal(String what) {
        return new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(
                what + " needs the live mount, and this daemon runs without FUSE (" + reason + ")"));
    }

    /** The runtime as its launcher needs it here: with the copy of its view to run in, rendered on its first tree. */
    CompletionStage<RuntimeInfo> attach(RuntimeInfo runtime) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> attachNow(runtime), renders);
    }

    private RuntimeInfo attachNow(RuntimeInfo runtime) {
        Path copy = copies.computeIfAbsent(runtime.getName(), name -> render(runtime));
        long root = runtime.getRootPid();
        ProcessHandle.of(root).ifPresent(p -> p.onExit().thenRun(() -> releaseIfEnded(runtime.getName())));
        return runtime.toBuilder().setViewRoot(copy.toString()).setDegraded(warning(copy)).build();
    }

    private Path render(RuntimeInfo runtime) {
        Path copy = root.resolve(runtime.getName());
        try {
            Files.deleteIfExists(marker(copy));
            Files.createFile(marker(copy));
        } catch (IOException e) {
            throw new IllegalStateException("cannot mark " + copy + ": " + e.getMessage(), e);
        }
        long started = System.nanoTime();
        EnvSpec spec = EnvSpec.parse(String.join("+", runtime.getLayersList()));
        new Renderer(repo).render(dev.strata.engine.View.of(repo.manifests(spec), repo.blobs()).manifest(), copy, Renderer.Mode.COPY);
        log.info("rendered runtime {} into {} in {} ms (degraded: {})", runtime.getName(), copy, (System.nanoTime() - started) / 1_000_000,
                reason);
        return copy;
    }

    /** A root of the runtime exited: its copy goes once the runtime has ended. */
    private void releaseIfEnded(String name) {
        running.apply(name).whenComplete((alive, failure) -> {
            if (failure == null && !alive) {
                release(name);
            }
        });
    }

    /** Deletes a runtime's copy (its end, or its removal). */
    void release(String name) {
        Path copy = copies.remove(name);
        if (copy != null) {
            Renderer.deleteTree(copy);
            try {
                Files.deleteIfExists(marker(copy));
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", marker(copy), e.toString());
            }
            log.info("deleted the copy of runtime {}", name);
        }
    }

    /** Copies a killed daemon left, known by their markers. */
    private void clearLeftovers() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            for (Path marker : entries.filter(p -> p.getFileName().toString().startsWith(".")
                    && p.getFileName().toString().endsWith(MARKER_SUFFIX)).toList()) {
                String name = marker.getFileName().toString();
                Path copy = root.resolve(name.substring(1, name.length() - MARKER_SUFFIX.length()));
                log.warn("deleting {}, a copy an earlier daemon left", copy);
                Renderer.deleteTree(copy);
                Files.deleteIfExists(marker);
            }
        }
    }

    private static Path marker(Path copy) {
        return copy.resolveSibling("." + copy.getFileName() + MARKER_SUFFIX);
    }

    /** Deletes every copy (the daemon stops). */
    void releaseAll() {
        copies.keySet().forEach(this::release);
        renders.shutdownNow();
    }
}
