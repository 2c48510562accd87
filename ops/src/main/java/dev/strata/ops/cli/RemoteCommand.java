package dev.strata.ops.cli;

import dev.strata.ops.remote.Remote;
import dev.strata.ops.remote.RemoteConfig;
import dev.strata.persistence.Repository;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "remote", description = "Name the repositories that push and pull talk to; kept in $STRATA_HOME/strata.conf.",
        subcommands = {RemoteCommand.Add.class, RemoteCommand.List.class, RemoteCommand.Remove.class})
final class RemoteCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Override
    public void run() {
        new List().list(strata);
    }

    @Command(name = "add", description = "Add (or replace) remote NAME at URL: file:///PATH (made a repository when empty), "
            + "grpc://HOST:PORT or grpcs://HOST:PORT (strata serve), s3://BUCKET[/PREFIX].")
    static final class Add implements Runnable {
        @ParentCommand
        RemoteCommand parent;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "URL")
        String url;

        @Option(names = "--endpoint", paramLabel = "URL", description = "S3: the server's address (MinIO, Ceph, R2, S3Proxy, ...); path-style requests.")
        String endpoint;

        @Option(names = "--region", description = "S3: the region (default: AWS_REGION, else us-east-1).")
        String region;

        @Option(names = "--access-key", description = "S3: the access key id (default: AWS_ACCESS_KEY_ID and the AWS SDK's other sources).")
        String accessKey;

        @Option(names = "--secret-key-env", paramLabel = "VAR", description = "S3: the environment variable that holds the secret key"
                + " (a secret on the command line would show in ps).")
        String secretKeyEnv;

        @Option(names = "--token-env", paramLabel = "VAR", description = "gRPC: the environment variable that holds the server's write token.")
        String tokenEnv;

        @Option(names = "--ca-file", paramLabel = "PEM", description = "grpcs: the certificate authority of the server's certificate,"
                + " when the system's trusted ones did not sign it.")
        Path caFile;

        @Override
        public void run() {
            StrataCommand strata = parent.strata;
            String secret = fromEnv(strata, secretKeyEnv);
            if (accessKey != null && secret == null) {
                throw new UsageException("--access-key needs --secret-key-env VAR naming where the secret key is");
            }
            Remote remote = new Remote(name, url, endpoint, region, accessKey, secret, fromEnv(strata, tokenEnv),
                    caFile == null ? null : caFile.toAbsolutePath().toString(), null);
            if (caFile != null && (remote.kind() != Remote.Kind.GRPCS || !Files.isReadable(caFile))) {
                throw new UsageException("--ca-file is for grpcs:// remotes and must name a readable PEM file");
            }
            if (remote.kind() == Remote.Kind.FILE) {
                initialize(strata, Path.of(URI.create(url)));
            }
            RemoteConfig.add(strata.config().homeFile(), remote);
            strata.err.println("strata: remote " + name + " -> " + remote.describe());
        }

        private static String fromEnv(StrataCommand strata, String variable) {
            if (variable == null) {
                return null;
            }
            String value = strata.env.get(variable);
            if (value == null || value.isEmpty()) {
                throw new UsageException("the environment variable " + variable + " is not set");
            }
            return value;
        }

        /** A file remote is a repository: an empty or missing directory becomes one; anything else must be one already. */
        private static void initialize(StrataCommand strata, Path root) {
            try {
                boolean empty = !Files.exists(root);
                if (!empty && Files.isDirectory(root)) {
                    try (var entries = Files.list(root)) {
                        empty = entries.findAny().isEmpty();
                    }
                }
                if (empty) {
                    Repository.open(root);
                    strata.err.println("strata: made an empty repository at " + root);
                } else if (!Files.isRegularFile(root.resolve("VERSION"))) {
                    throw new IllegalArgumentException(root + " is neither empty nor a Strata repository");
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot use " + root + ": " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "list", description = "List the remotes and where each is configured.")
    static final class List implements Runnable {
        @ParentCommand
        RemoteCommand parent;

        @Override
        public void run() {
            list(parent.strata);
        }

        void list(StrataCommand strata) {
            Map<String, Remote> remotes = strata.config().remotes();
            if (remotes.isEmpty()) {
                strata.err.println("strata: no remotes (add one with: strata remote add NAME URL)");
            }
            remotes.values().forEach(r -> strata.out.printf("%-16s %s  # %s%n", r.name(), r.describe(), r.source()));
        }
    }

    @Command(name = "remove", aliases = "rm", description = "Forget remote NAME (its repository is left as it is).")
    static final class Remove implements Runnable {
        @ParentCommand
        RemoteCommand parent;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            if (!RemoteConfig.remove(parent.strata.config().homeFile(), name)) {
                throw new IllegalArgumentException("no remote '" + name + "' in " + parent.strata.config().homeFile());
            }
            parent.strata.err.println("strata: remote " + name + " removed");
        }
    }
}
