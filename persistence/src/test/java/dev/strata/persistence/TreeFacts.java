package dev.strata.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Everything a render must reproduce about a directory tree, as comparable text: per path the
 * type, mode, owner, mtime in ns, size, content hash or link target, xattrs, and which paths are
 * hard links of each other. Used by tests to prove a render equals its source.
 */
public final class TreeFacts {
    private TreeFacts() {
    }

    public static Map<String, String> of(Path root, boolean withDirMtimes) {
        Map<String, String> facts = new TreeMap<>();
        Map<Object, String> firstPathOfInode = new HashMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = new ArrayList<>(walk.toList());
            for (Path p : paths) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                boolean dir = (mode & 0170000) == 0040000;
                StringBuilder f = new StringBuilder();
                f.append(Integer.toOctalString(mode)).append(' ').append(a.get("uid")).append(':').append(a.get("gid"));
                if (!dir || withDirMtimes) {
                    f.append(" mtime=").append(((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS));
                }
                if ((mode & 0170000) == 0100000) {
                    f.append(" size=").append(a.get("size")).append(" sha=").append(sha(p));
                    if (((Number) a.get("nlink")).intValue() > 1) {
                        Object inode = a.get("ino");
                        f.append(" linked-with=").append(firstPathOfInode.computeIfAbsent(inode, k -> rel));
                    }
                } else if ((mode & 0170000) == 0120000) {
                    f.append(" -> ").append(Files.readSymbolicLink(p));
                } else if ((mode & 0170000) == 0020000 || (mode & 0170000) == 0060000) {
                    f.append(" rdev=").append(a.get("rdev"));
                }
                for (Map.Entry<String, byte[]> x : NativeFs.xattrs(p).entrySet()) {
                    f.append(' ').append(x.getKey()).append('=').append(HexFormat.of().formatHex(x.getValue()));
                }
                facts.put(rel, f.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return facts;
    }

    private static String sha(Path p) throws IOException {
        java.security.MessageDigest md = Digest.newHasher();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    /** Corrupts one byte of a (read-only) stored file in place, as a failing disk would. */
    public static void flipByte(Path file, long at) throws IOException {
        file.toFile().setWritable(true);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x80);
        }
    }

    /** Builds a tree with every kind of entry a layer keeps; returns its root. */
    public static Path makeRichTree(Path root, int manyFiles) throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("empty/nested-empty"));
        Files.createDirectories(root.resolve("many"));
        Files.writeString(root.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
        Files.setAttribute(root.resolve("bin/tool"), "unix:mode", 04755);
        Files.createLink(root.resolve("bin/tool-hardlink"), root.resolve("bin/tool"));
        Files.createSymbolicLink(root.resolve("bin/relative-link"), Path.of("tool"));
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("/nowhere/at/all"));
        Files.writeString(root.resolve("private.txt"), "secret");
        Files.setAttribute(root.resolve("private.txt"), "unix:mode", 0600);
        Files.writeString(root.resolve("with-xattr"), "x");
        NativeFs.setXattr(root.resolve("with-xattr"), "user.origin", "test".getBytes());
        NativeFs.mknod(root.resolve("pipe"), 0010644, 0);
        // a socket as bind(2) leaves it (cp -a and rsync -a copy them; a layer keeps the name and mode)
        try (var listening = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listening.bind(java.net.UnixDomainSocketAddress.of(root.resolve("listening.sock")));
        }
        Files.setPosixFilePermissions(root.resolve("listening.sock"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        byte[] big = new byte[24 << 20];
        new java.util.Random(7).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        for (int i = 0; i < manyFiles; i++) {
            Path d = root.resolve("many/d" + (i % 50));
            Files.createDirectories(d);
            Files.writeString(d.resolve("f" + i), "file " + i + "\n".repeat(i % 7));
        }
        Files.setAttribute(root.resolve("empty"), "unix:mode", 0700);
        Files.setLastModifiedTime(root.resolve("private.txt"), FileTime.from(1_234_567_890_123_456_789L, TimeUnit.NANOSECONDS));
        return root;
    }
}
