package dev.strata.persistence;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SortedMap;

/**
 * The file system calls Java lacks: extended attributes of any namespace (not just {@code user.}),
 * nanosecond timestamps on symlinks, mknod, lchown, and reflink or in-kernel copies; and names as
 * the exact bytes the kernel knows them by. The calls go to the host's {@link HostFs} (Linux or
 * macOS); the names are the same everywhere.
 */
public final class NativeFs {
    private static final HostFs HOST = HostFs.forThisPlatform();

    private NativeFs() {
    }

    /** The OS calls behind this facade. */
    public static HostFs host() {
        return HOST;
    }

    /** The JVM's encoding of path names: what {@link Path#toString()} decodes with. */
    private static final Charset PATH_ENCODING = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

    /**
     * The bytes the kernel knows a path by. {@link Path#toString()} loses names the JVM's path
     * encoding cannot spell (bytes that are not UTF-8, or anything not ASCII under the C locale of
     * a service); a file URI percent-encodes the exact bytes, so it is the way back when the
     * string does not round-trip. Relative paths stay relative unless they need that way back.
     */
    public static byte[] pathBytes(Path path) {
        String s = path.toString();
        if (ascii(s)) {
            return s.getBytes(StandardCharsets.US_ASCII); // no decoding turns other bytes into ASCII: these are exact
        }
        try {
            if (Path.of(s).equals(path)) {
                return s.getBytes(PATH_ENCODING);
            }
        } catch (java.nio.file.InvalidPathException notSpellable) {
            // the decoded name holds a replacement character the encoding cannot write back
        }
        String raw = path.toAbsolutePath().toUri().getRawPath();
        if (raw.length() > 1 && raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1); // toUri marks a directory with a slash
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch == '%') {
                out.write(Integer.parseInt(raw, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.write(ch);
            }
        }
        return out.toByteArray();
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The path of exactly these bytes (no NUL among them), as {@link #pathBytes} reads it back. */
    public static Path path(byte[] bytes) {
        String s = new String(bytes, PATH_ENCODING);
        if (Arrays.equals(s.getBytes(PATH_ENCODING), bytes)) {
            return Path.of(s);
        }
        if (bytes.length == 0 || bytes[0] != '/') {
            byte[] cwd = pathBytes(Path.of("").toAbsolutePath());
            byte[] joined = Arrays.copyOf(cwd, cwd.length + 1 + bytes.length);
            joined[cwd.length] = '/';
            System.arraycopy(bytes, 0, joined, cwd.length + 1, bytes.length);
            bytes = joined;
        }
        StringBuilder uri = new StringBuilder("file://");
        for (byte b : bytes) {
            int v = b & 0xff;
            if ((v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') || (v >= '0' && v <= '9') || "/-._~".indexOf(v) >= 0) {
                uri.append((char) v);
            } else {
                uri.append('%').append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 15, 16));
            }
        }
        return Path.of(java.net.URI.create(uri.toString()));
    }

    /** {@code dir}'s entry of exactly this name. */
    public static Path child(Path dir, byte[] name) {
        String s = new String(name, PATH_ENCODING);
        if (Arrays.equals(s.getBytes(PATH_ENCODING), name) && s.indexOf('/') < 0) {
            return dir.resolve(s);
        }
        byte[] d = pathBytes(dir);
        byte[] joined = Arrays.copyOf(d, d.length + 1 + name.length);
        joined[d.length] = '/';
        System.arraycopy(name, 0, joined, d.length + 1, name.length);
        return path(joined);
    }

    /** A path for a C call: its exact bytes and a NUL. */
    static byte[] c(Path path) {
        byte[] b = pathBytes(path);
        return Arrays.copyOf(b, b.length + 1);
    }

    /** A symlink's target, byte for byte. */
    public static byte[] readlink(Path link) throws IOException {
        return HOST.readlink(link);
    }

    /** Makes a symlink whose target is exactly these bytes. */
    public static void symlink(byte[] target, Path link) throws IOException {
        HOST.symlink(target, link);
    }

    /** Every extended attribute of a path, not following a final symlink. */
    public static SortedMap<String, byte[]> xattrs(Path path) throws IOException {
        return HOST.xattrs(path);
    }

    public static void setXattr(Path path, String name, byte[] value) throws IOException {
        HOST.setXattr(path, name, value);
    }

    /** What the host reports of a file that Strata keeps content in (its size, blocks and times). */
    public record Stat(long size, long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {
    }

    /** Size and times of a file, not following a final symlink. */
    public static Stat stat(Path path) throws IOException {
        return HOST.stat(path);
    }

    /** What statvfs(2) says of the file system holding {@code path}: sizes in fragments, file counts. */
    public record Space(long fragment, long blocks, long blocksFree, long blocksAvailable, long files, long filesFree) {
    }

    /** The file system's space and file counts. */
    public static Space space(Path path) throws IOException {
        return HOST.space(path);
    }

    /** Sets atime and mtime with nanosecond precision, not following a final symlink. */
    public static void setTimes(Path path, long atimeNanos, long mtimeNanos) throws IOException {
        HOST.setTimes(path, atimeNanos, mtimeNanos);
    }

    public static void mknod(Path path, int modeWithType, long rdev) throws IOException {
        HOST.mknod(path, modeWithType, rdev);
    }

    /** chmod(2) by path: unlike Java's attribute views it never opens the file (which blocks on a FIFO). */
    public static void chmod(Path path, int mode) throws IOException {
        HOST.chmod(path, mode);
    }

    public static void lchown(Path path, int uid, int gid) throws IOException {
        HOST.lchown(path, uid, gid);
    }

    /** Creates {@code target} sharing {@code source}'s extents; false, and no target, where the file system cannot. */
    public static boolean reflink(Path source, Path target) throws IOException {
        return HOST.clone(source, target, false);
    }

    /**
     * Creates {@code target} (which must not exist) with the content of {@code source}: a reflink
     * (clonefile on APFS) where the file system shares extents, otherwise an in-kernel copy.
     * Returns true for a reflink.
     */
    public static boolean cloneOrCopy(Path source, Path target) throws IOException {
        return HOST.clone(source, target, true);
    }
}
