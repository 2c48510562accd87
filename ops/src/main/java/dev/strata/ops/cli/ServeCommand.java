package dev.strata.ops.cli;

import com.typesafe.config.ConfigFactory;
import dev.strata.ops.remote.RepositoryServer;
import dev.strata.persistence.LocalStore;
import dev.strata.protocol.StrataRepositoryHandlerFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", description = "Serve this home's repository to other machines as a grpc:// (or, with --tls-key-store, grpcs://) "
        + "remote, in the foreground until interrupted. Read-only unless a write token is given.")
final class ServeCommand implements Runnable {
    @picocli.CommandLine.ParentCommand
    StrataCommand strata;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7878",
            description = "Where to listen (default ${DEFAULT-VALUE}; port 0 picks a free one).")
    String listen;

    @Option(names = "--write-token-env", paramLabel = "VAR", description = "The environment variable holding the token that push must present; "
            + "without it the repository is served read-only.")
    String writeTokenEnv;

    @Option(names = "--tls-key-store", paramLabel = "FILE", description = "A PKCS#12 key store with the server's certificate: serve grpcs://.")
    java.nio.file.Path keyStore;

    @Option(names = "--tls-password-env", paramLabel = "VAR", description = "The environment variable holding the key store's password.")
    String keyStorePasswordEnv;

    @Override
    public void run() {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException("--listen is HOST:PORT, not '" + listen + "'");
        }
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException("--listen is HOST:PORT, not '" + listen + "'");
        }
        String token = writeTokenEnv == null ? null : strata.env.get(writeTokenEnv);
        if (writeTokenEnv != null && (token == null || token.length() < 16)) {
            throw new UsageException("the environment variable " + writeTokenEnv + " must hold a write token of at least 16 characters");
        }
        // the access log: one line per blob served, what a read-through or a pull cost this server
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RepositoryServer.class)).setLevel(ch.qos.logback.classic.Level.INFO);
        // blobs stream in both directions: no limit on a request's size here (the control socket keeps its own)
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "strata-serve", ConfigFactory.parseString(
                "pekko.http.server.parsing.max-content-length = infinite\npekko.http.server.idle-timeout = 120s\n"
                + "pekko.http.server.socket-options.tcp-no-delay = on").withFallback(ConfigFactory.load()));
        ExecutorService blocking = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "strata-serve-io");
            t.setDaemon(true);
            return t;
        });
        try {
            LocalStore store = new LocalStore(strata.home().repository(), "this repository");
            RepositoryServer server = new RepositoryServer(store, token, blocking, Materializer.createMaterializer(system));
            var bind = Http.get(system).newServerAt(host, port);
            if (keyStore != null) {
                bind = bind.enableHttps(ConnectionContext.httpsServer(Tls.serverContext(keyStore, keyStorePasswordEnv == null ? "" : strata.env.getOrDefault(keyStorePasswordEnv, ""))));
            }
            var grpc = StrataRepositoryHandlerFactory.create(server, system);
            org.apache.pekko.japi.function.Function<org.apache.pekko.http.javadsl.model.HttpRequest,
                    java.util.concurrent.CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>> handler = request -> grpc.apply(capped(request));
            ServerBinding binding = bind.bind(handler).toCompletableFuture().get();
            InetSocketAddress at = binding.localAddress();
            strata.out.println((keyStore != null ? "grpcs://" : "grpc://") + at.getHostString() + ":" + at.getPort());
            strata.err.println("strata: serving " + strata.home().repositoryPath() + (token == null ? " read-only" : " (writes need the token)")
                    + "; interrupt to stop");
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                binding.unbind();
                stopped.countDown();
            }));
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalArgumentException("cannot listen on " + listen + ": " + e.getCause().getMessage());
        } finally {
            system.terminate();
            blocking.shutdownNow();
        }
    }

    /**
     * Only a blob upload may be large (and it needs the write token in its first chunk); any other
     * request body is held in memory whole, so it is capped before anything reads it.
     */
    static org.apache.pekko.http.javadsl.model.HttpRequest capped(org.apache.pekko.http.javadsl.model.HttpRequest request) {
        if (request.getUri().path().endsWith("/WriteBlob")) {
            return request;
        }
        return request.withEntity((org.apache.pekko.http.javadsl.model.RequestEntity) request.entity().withSizeLimit(REQUEST_MAX));
    }

    /** The largest request other than a blob upload: a manifest of a few hundred thousand entries. */
    static final long REQUEST_MAX = 64L << 20;

    /** The server's TLS context from a PKCS#12 key store. */
    static final class Tls {
        static javax.net.ssl.SSLContext serverContext(java.nio.file.Path file, String password) {
            try (var in = java.nio.file.Files.newInputStream(file)) {
                java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
                ks.load(in, password.toCharArray());
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, password.toCharArray());
                javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
                ctx.init(kmf.getKeyManagers(), null, new java.security.SecureRandom());
                return ctx;
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot use the key store " + file + ": " + e.getMessage());
            }
        }
    }
}
