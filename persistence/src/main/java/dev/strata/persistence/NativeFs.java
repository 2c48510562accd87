package dev.strata.persistence;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The file system calls Java lacks, through jnr-ffi: extended attributes of any namespace (not just
 * {@code user.}), nanosecond timestamps on symlinks, mknod, lchown, and reflink or in-kernel copies.
 */
public final class NativeFs {
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_CLOEXEC = 02000000;
    private static final long FICLONE = 0x40049409L;
    private static final int ERANGE = 34;
    private static final int ENODATA = 61;
    private static final int ENOTSUP = 95;

    /** libc, as jnr-ffi binds it. */
    public interface LibC {
        long llistxattr(@In byte[] path, @Out byte[] list, long size);

        long lgetxattr(@In byte[] path, String name, @Out byte[] value, long size);

        int lsetxattr(@In byte[] path, String name, @In byte[] value, long size, int flags);

        int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

        int mknod(@In byte[] path, int mode, long dev);

        int lchown(@In byte[] path, int uid, int gid);

        int chmod(@In byte[] path, int mode);

        int open(@In byte[] path, int flags, int mode);

        int close(int fd);

        int ioctl(int fd, long request, long arg);

        long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, long len, int flags);

        String strerror(int errno);

        int statx(int dirfd, @In byte[] path, int flags, int mask, @Out byte[] buf);

        int statvfs(@In byte[] path, @Out byte[] buf);

        long readlink(@In byte[] path, @Out byte[] buf, long size);

        int symlink(@In byte[] target, @In byte[] linkPath);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private NativeFs() {
    }

    private static int errno() {
        return RUNTIME.getLastError();
    }

    private static IOException failure(String call, Path path) {
        int e = errno();
        return new IOException(call + " " + path + ": " + LIBC.strerror(e) + " (errno " + e + ")");
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
    private static byte[] c(Path path) {
        byte[] b = pathBytes(path);
        return Arrays.copyOf(b, b.length + 1);
    }

    /** A symlink's target, byte for byte. */
    public static byte[] readlink(Path link) throws IOException {
        byte[] p = c(link);
        for (int size = 256; ; size *= 4) {
            byte[] buf = new byte[size];
            long n = LIBC.readlink(p, buf, size);
            if (n < 0) {
                throw failure("readlink", link);
            }
            if (n < size) {
                return Arrays.copyOf(buf, (int) n);
            }
        }
    }

    /** Makes a symlink whose target is exactly these bytes. */
    public static void symlink(byte[] target, Path link) throws IOException {
        if (LIBC.symlink(Arrays.copyOf(target, target.length + 1), c(link)) != 0) {
            throw failure("symlink", link);
        }
    }

    /** Every extended attribute of a path, not following a final symlink. */
    public static SortedMap<String, byte[]> xattrs(Path path) throws IOException {
        byte[] p = c(path);
        SortedMap<String, byte[]> out = new TreeMap<>();
        long size = LIBC.llistxattr(p, null, 0);
        if (size < 0) {
            if (errno() == ENOTSUP) {
                return out;
            }
            throw failure("llistxattr", path);
        }
        if (size == 0) {
            return out;
        }
        byte[] list = new byte[(int) size];
        size = LIBC.llistxattr(p, list, list.length);
        if (size < 0) {
            throw failure("llistxattr", path);
        }
        int start = 0;
        for (int i = 0; i < size; i++) {
            if (list[i] == 0) {
                String name = new String(list, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                byte[] value = xattr(p, path, name);
                if (value != null) {
                    out.put(name, value);
                }
            }
        }
        return out;
    }

    private static byte[] xattr(byte[] p, Path path, String name) throws IOException {
        while (true) {
            long size = LIBC.lgetxattr(p, name, null, 0);
            if (size < 0) {
                if (errno() == ENODATA) {
                    return null;
                }
                throw failure("lgetxattr " + name, path);
            }
            byte[] value = new byte[(int) size];
            long got = LIBC.lgetxattr(p, name, value, value.length);
            if (got >= 0) {
                return got == size ? value : Arrays.copyOf(value, (int) got);
            }
            if (errno() != ERANGE) {
                throw failure("lgetxattr " + name, path);
            }
        }
    }

    public static void setXattr(Path path, String name, byte[] value) throws IOException {
        if (LIBC.lsetxattr(c(path), name, value, value.length, 0) != 0) {
            throw failure("lsetxattr " + name, path);
        }
    }

    /** What statx(2) reports of a file that Strata keeps content in (its size, blocks and times). */
    public record Stat(long size, long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {
    }

    private static final int STATX_BASIC_STATS = 0x7ff;

    /** statx(2), not following a final symlink; the struct is the same on every Linux architecture. */
    public static Stat stat(Path path) throws IOException {
        byte[] buf = new byte[256];
        if (LIBC.statx(AT_FDCWD, c(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0) {
            throw failure("statx", path);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        return new Stat(b.getLong(40), b.getLong(48), time(b, 64), time(b, 112), time(b, 96));
    }

    /** What statvfs(2) says of the file system holding {@code path}: sizes in fragments, file counts. */
    public record Space(long fragment, long blocks, long blocksFree, long blocksAvailable, long files, long filesFree) {
    }

    /** The file system's space and file counts (Linux's struct statvfs layout; elsewhere Java's view, without file counts). */
    public static Space space(Path path) throws IOException {
        if (!LINUX) {
            var store = java.nio.file.Files.getFileStore(path);
            return new Space(1, store.getTotalSpace(), store.getUnallocatedSpace(), store.getUsableSpace(), 0, 0);
        }
        byte[] buf = new byte[128];
        if (LIBC.statvfs(c(path), buf) != 0) {
            throw failure("statvfs", path);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.nativeOrder());
        return new Space(b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40), b.getLong(48));
    }

    private static final boolean LINUX = System.getProperty("os.name", "").startsWith("Linux");

    private static long time(java.nio.ByteBuffer b, int offset) {
        return b.getLong(offset) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(offset + 8));
    }

    /** Sets atime and mtime with nanosecond precision, not following a final symlink. */
    public static void setTimes(Path path, long atimeNanos, long mtimeNanos) throws IOException {
        long[] times = {
                Math.floorDiv(atimeNanos, 1_000_000_000L), Math.floorMod(atimeNanos, 1_000_000_000L),
                Math.floorDiv(mtimeNanos, 1_000_000_000L), Math.floorMod(mtimeNanos, 1_000_000_000L)};
        if (LIBC.utimensat(AT_FDCWD, c(path), times, AT_SYMLINK_NOFOLLOW) != 0) {
            throw failure("utimensat", path);
        }
    }

    public static void mknod(Path path, int modeWithType, long rdev) throws IOException {
        if (LIBC.mknod(c(path), modeWithType, rdev) != 0) {
            throw failure("mknod", path);
        }
    }

    /** chmod(2) by path: unlike Java's attribute views it never opens the file (which blocks on a FIFO). */
    public static void chmod(Path path, int mode) throws IOException {
        if (LIBC.chmod(c(path), mode) != 0) {
            throw failure("chmod", path);
        }
    }

    public static void lchown(Path path, int uid, int gid) throws IOException {
        if (LIBC.lchown(c(path), uid, gid) != 0) {
            throw failure("lchown", path);
        }
    }

    /** Creates {@code target} sharing {@code source}'s extents; false, and no target, where the file system cannot. */
    public static boolean reflink(Path source, Path target) throws IOException {
        return cloneInto(source, target, false);
    }

    /**
     * Creates {@code target} (which must not exist) with the content of {@code source}: a reflink
     * where the file system shares extents, otherwise an in-kernel copy. Returns true for a reflink.
     */
    public static boolean cloneOrCopy(Path source, Path target) throws IOException {
        return cloneInto(source, target, true);
    }

    private static boolean cloneInto(Path source, Path target, boolean copyOtherwise) throws IOException {
        int in = LIBC.open(c(source), O_RDONLY | O_CLOEXEC, 0);
        if (in < 0) {
            throw failure("open", source);
        }
        try {
            int out = LIBC.open(c(target), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (out < 0) {
                throw failure("open", target);
            }
            try {
                if (LIBC.ioctl(out, FICLONE, in) == 0) {
                    return true;
                }
                if (!copyOtherwise) {
                    java.nio.file.Files.deleteIfExists(target);
                    return false;
                }
                while (true) {
                    long n = LIBC.copy_file_range(in, null, out, null, 1L << 30, 0);
                    if (n == 0) {
                        return false;
                    }
                    if (n < 0) {
                        throw failure("copy_file_range to", target);
                    }
                }
            } finally {
                LIBC.close(out);
            }
        } finally {
            LIBC.close(in);
        }
    }
}
