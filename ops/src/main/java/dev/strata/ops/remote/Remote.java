package dev.strata.ops.remote;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A named remote repository, as the configuration keeps it under {@code strata.remotes.NAME}:
 * {@code url} is {@code file:///path}, {@code grpc://host:port}, {@code grpcs://host:port} or
 * {@code s3://bucket[/prefix]}; S3 remotes may name an {@code endpoint} (MinIO, S3Proxy, ...), a
 * {@code region}, and an {@code access-key} with {@code secret-key} (otherwise the AWS SDK's own
 * sources: AWS_ACCESS_KEY_ID and the rest). A gRPC remote may carry a {@code token} for writing, and a
 * grpcs:// one the {@code ca} (a PEM file) that signed its server's certificate, when the system's do not.
 */
public record Remote(String name, String url, String endpoint, String region, String accessKey, String secretKey, String token, String ca,
                     String source) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,62}");
    private static final int URL_MAX = 1024;

    public enum Kind { FILE, GRPC, GRPCS, S3 }

    public Remote {
        checkName(name);
        kindOf(url); // refuses what no kind parses
    }

    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid remote name '" + shorten(name) + "': use 1 to 63 letters, digits, '_' and '-'");
        }
    }

    public Kind kind() {
        return kindOf(url);
    }

    static Kind kindOf(String url) {
        if (url == null || url.isEmpty() || url.length() > URL_MAX || url.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a remote URL has 1 to " + URL_MAX + " characters and no NUL");
        }
        if (url.startsWith("file:///")) {
            return Kind.FILE;
        }
        if (url.startsWith("s3://")) {
            return Kind.S3;
        }
        for (Kind k : new Kind[] {Kind.GRPC, Kind.GRPCS}) {
            String scheme = k.name().toLowerCase() + "://";
            if (url.startsWith(scheme)) {
                URI uri = URI.create(url);
                if (uri.getHost() == null || uri.getPort() <= 0 || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
                    throw new IllegalArgumentException("a " + scheme + " remote is " + scheme + "HOST:PORT, not '" + shorten(url) + "'");
                }
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind of remote URL '" + shorten(url)
                + "': use file:///PATH, grpc://HOST:PORT, grpcs://HOST:PORT or s3://BUCKET[/PREFIX]");
    }

    /** The settings as the configuration file writes them (no secrets shown by {@link #describe}). */
    public Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("url", url);
        putIf(m, "endpoint", endpoint);
        putIf(m, "region", region);
        putIf(m, "access-key", accessKey);
        putIf(m, "secret-key", secretKey);
        putIf(m, "token", token);
        putIf(m, "ca", ca);
        return m;
    }

    /** One line for {@code remote list}: secrets are only said to be there. */
    public String describe() {
        StringBuilder s = new StringBuilder(url);
        if (endpoint != null) {
            s.append(" endpoint=").append(endpoint);
        }
        if (region != null) {
            s.append(" region=").append(region);
        }
        if (accessKey != null) {
            s.append(" access-key=").append(accessKey).append(" secret-key=(set)");
        }
        if (token != null) {
            s.append(" token=(set)");
        }
        if (ca != null) {
            s.append(" ca=").append(ca);
        }
        return s.toString();
    }

    private static void putIf(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    static String shorten(String s) {
        if (s == null) {
            return "";
        }
        String shown = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return shown.replace("\0", "\\0");
    }
}
