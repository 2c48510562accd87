package dev.strata.ops.cli;

import dev.strata.engine.Attributes;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** How the CLI prints sizes, times and modes. */
final class Format {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private Format() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String units = "KMGTPE";
        int u = (63 - Long.numberOfLeadingZeros(n)) / 10;
        return String.format("%.1f %siB", n / (double) (1L << (u * 10)), units.charAt(u - 1));
    }

    static String duration(java.time.Duration d) {
        long s = d.toSeconds();
        return s < 120 ? s + "s" : s < 7200 ? (s / 60) + "m" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    static String time(long epochNanos) {
        return TIME.format(Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L)));
    }

    /** The ten-character mode column of {@code ls -l}. */
    static String mode(int mode) {
        char type = switch (mode & 0170000) {
            case 0040000 -> 'd';
            case 0120000 -> 'l';
            case 0010000 -> 'p';
            case 0020000 -> 'c';
            case 0060000 -> 'b';
            case 0140000 -> 's';
            default -> '-';
        };
        StringBuilder s = new StringBuilder().append(type);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            s.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        setSpecial(s, mode, 04000, 3, 's');
        setSpecial(s, mode, 02000, 6, 's');
        setSpecial(s, mode, 01000, 9, 't');
        return s.toString();
    }

    private static void setSpecial(StringBuilder s, int mode, int bit, int at, char lower) {
        if ((mode & bit) != 0) {
            s.setCharAt(at, s.charAt(at) == '-' ? Character.toUpperCase(lower) : lower);
        }
    }

    static String lsLine(Attributes a, String name) {
        return String.format("%s %3d %5d %5d %10d %s %s", mode(a.mode()), a.nlink(), a.uid(), a.gid(), a.size(), time(a.mtimeNanos()), name);
    }

    /** "1 file", "2 files"; "1 entry", "2 entries". */
    static String count(long n, String noun) {
        if (n == 1) {
            return n + " " + noun;
        }
        return n + " " + (noun.endsWith("y") ? noun.substring(0, noun.length() - 1) + "ies" : noun + "s");
    }
}
