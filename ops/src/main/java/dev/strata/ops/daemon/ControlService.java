package dev.strata.ops.daemon;

import dev.strata.actors.Mount;
import dev.strata.actors.Router;
import dev.strata.actors.RuntimeRefused;
import dev.strata.engine.View;
import dev.strata.persistence.AmbiguousRefException;
import dev.strata.persistence.Digest;
import dev.strata.persistence.EnvSpec;
import dev.strata.persistence.MalformedSpecException;
import dev.strata.persistence.Repository;
import dev.strata.persistence.RepositoryException;
import dev.strata.persistence.TagStore;
import dev.strata.persistence.UnknownRefException;
import dev.strata.protocol.ListReply;
import dev.strata.protocol.ListRequest;
import dev.strata.protocol.MountRequest;
import dev.strata.protocol.RuntimeInfo;
import dev.strata.protocol.ShutdownReply;
import dev.strata.protocol.ShutdownRequest;
import dev.strata.protocol.StatusReply;
import dev.strata.protocol.StatusRequest;
import dev.strata.protocol.StrataControl;
import dev.strata.protocol.UnmountReply;
import dev.strata.protocol.UnmountRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The gRPC control plane: a thin translator between protobuf messages and the Router. Specs are
 * resolved against the repository (blocking I/O, on its own executor) before the Router sees them.
 */
final class ControlService implements StrataControl {
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final ActorRef<Router.Command> router;
    private final Repository repo;
    private final Executor blocking;
    private final Supplier<StatusReply.Builder> status;
    private final Runnable shutdown;

    ControlService(ActorSystem<?> system, ActorRef<Router.Command> router, Repository repo, Executor blocking,
                   Supplier<StatusReply.Builder> status, Runnable shutdown) {
        this.system = system;
        this.router = router;
        this.repo = repo;
        this.blocking = blocking;
        this.status = status;
        this.shutdown = shutdown;
    }

    @Override
    public CompletionStage<RuntimeInfo> mount(MountRequest in) {
        return CompletableFuture.supplyAsync(() -> prepare(in), blocking)
                .thenCompose(prepared -> AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<dev.strata.actors.RuntimeInfo>>ask(
                        router, replyTo -> new Router.AddRuntime(prepared.name(), in.getRootPid(), in.getEnvSpec(),
                                prepared.layers(), prepared.source(), replyTo), ASK_TIMEOUT, system.scheduler()))
                .thenApply(reply -> toProto(unwrap(reply)))
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    private record Prepared(String name, List<String> layers, Mount.ViewSource source) {
    }

    private Prepared prepare(MountRequest in) {
        if (in.getRootPid() <= 0) {
            throw invalid("root_pid must be a positive process id, not " + in.getRootPid());
        }
        String name = in.getName().isEmpty() ? "run-" + in.getRootPid() : in.getName();
        if (!RuntimeNames.isValid(name)) {
            throw invalid("invalid runtime name '" + RuntimeNames.printable(name) + "': " + RuntimeNames.RULE);
        }
        List<Repository.ResolvedLayer> resolved = repo.resolveLayers(EnvSpec.parse(in.getEnvSpec()));
        List<Digest> manifests = resolved.stream().map(Repository.ResolvedLayer::manifest).toList();
        List<String> layers = resolved.stream().map(l -> l.digest().hex()).toList();
        Mount.ViewSource source = () -> View.of(manifests.stream().map(repo::manifest).toList(), repo.blobs());
        source.load(); // proves every manifest is readable before the runtime exists
        return new Prepared(name, layers, source);
    }

    @Override
    public CompletionStage<UnmountReply> unmount(UnmountRequest in) {
        return AskPattern.<Router.Command, org.apache.pekko.pattern.StatusReply<dev.strata.actors.RuntimeInfo>>ask(
                        router, replyTo -> new Router.RemoveRuntime(in.getName(), replyTo), ASK_TIMEOUT, system.scheduler())
                .thenApply(reply -> {
                    unwrap(reply);
                    return UnmountReply.getDefaultInstance();
                })
                .exceptionally(e -> {
                    throw translate(e);
                });
    }

    @Override
    public CompletionStage<ListReply> list(ListRequest in) {
        return runtimes().thenApply(list -> ListReply.newBuilder().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<StatusReply> status(StatusRequest in) {
        return runtimes().thenApply(list -> status.get().addAllRuntimes(list).build());
    }

    @Override
    public CompletionStage<ShutdownReply> shutdown(ShutdownRequest in) {
        system.scheduler().scheduleOnce(Duration.ofMillis(100), shutdown, system.executionContext());
        return CompletableFuture.completedFuture(ShutdownReply.getDefaultInstance());
    }

    private CompletionStage<List<RuntimeInfo>> runtimes() {
        return AskPattern.<Router.Command, List<dev.strata.actors.RuntimeInfo>>ask(router, Router.ListRuntimes::new, ASK_TIMEOUT, system.scheduler())
                .thenApply(list -> list.stream().map(ControlService::toProto).toList());
    }

    private static dev.strata.actors.RuntimeInfo unwrap(org.apache.pekko.pattern.StatusReply<dev.strata.actors.RuntimeInfo> reply) {
        if (reply.isError()) {
            Throwable t = reply.getError();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return reply.getValue();
    }

    static RuntimeInfo toProto(dev.strata.actors.RuntimeInfo r) {
        return RuntimeInfo.newBuilder().setName(r.name()).setRootPid(r.root().pid()).setRootStartTime(r.root().startTime())
                .setEnvSpec(r.envSpec()).addAllLayers(r.layers()).setStartedAtEpochMs(r.started().toEpochMilli()).build();
    }

    private static GrpcServiceException invalid(String message) {
        return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(message));
    }

    /** One place maps failures to gRPC statuses; anything unexpected is INTERNAL. */
    private static GrpcServiceException translate(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof GrpcServiceException g) {
            return g;
        }
        Status status;
        if (cause instanceof RuntimeRefused r) {
            status = switch (r.reason()) {
                case INVALID -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            };
        } else if (cause instanceof MalformedSpecException || cause instanceof AmbiguousRefException || cause instanceof IllegalArgumentException) {
            status = Status.INVALID_ARGUMENT;
        } else if (cause instanceof UnknownRefException) {
            status = Status.NOT_FOUND;
        } else if (cause instanceof RepositoryException) {
            status = Status.FAILED_PRECONDITION;
        } else {
            status = Status.INTERNAL;
        }
        return new GrpcServiceException(status.withDescription(String.valueOf(cause.getMessage())));
    }

    /** Runtime names follow the same rules as tag segments, so they are safe in paths and logs. */
    static final class RuntimeNames {
        static final String RULE = "use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'";

        static boolean isValid(String name) {
            return name.length() <= 64 && !name.contains("/") && TagStore.isValidName(name);
        }

        static String printable(String name) {
            String s = name.length() > 64 ? name.substring(0, 64) + "..." : name;
            return s.replace("\0", "\\0");
        }
    }
}
