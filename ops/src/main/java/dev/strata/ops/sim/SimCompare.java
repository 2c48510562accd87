package dev.strata.ops.sim;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * {@code strata sim compare OLD NEW}: Strata's figures of two runs side by side, per operation; a p99
 * that grew or a throughput that fell past the threshold is a regression. A p99 is judged only where
 * both runs measured at least {@link #P99_MIN_COUNT} operations (below that it is one or two samples,
 * a pause anywhere on the machine), a throughput where both measured at least {@link #RATE_MIN_COUNT}.
 */
public final class SimCompare {
    static final int P99_MIN_COUNT = 500;
    static final int RATE_MIN_COUNT = 50;
    /** A p99 within this much of the old one is noise, whatever the percentage (timer and scheduler jitter). */
    static final double P99_FLOOR_US = 200;

    private SimCompare() {
    }

    /** Prints the comparison; true when nothing regressed past {@code thresholdPercent}. */
    public static boolean compare(Path oldReport, Path newReport, double thresholdPercent, PrintStream out) throws IOException {
        JsonObject before = operations(oldReport);
        JsonObject after = operations(newReport);
        double limit = thresholdPercent / 100;
        boolean ok = true;
        out.printf("%-18s %10s %10s %8s   %10s %10s %8s%n", "operation", "p99 old", "p99 new", "change", "ops/s old", "ops/s new", "change");
        for (String kind : union(before, after)) {
            if (!before.has(kind) || !after.has(kind)) {
                out.printf("%-18s %s%n", kind, before.has(kind) ? "only in the old run" : "only in the new run");
                continue;
            }
            JsonObject a = before.getAsJsonObject(kind);
            JsonObject b = after.getAsJsonObject(kind);
            double p99a = number(a, "p99_us");
            double p99b = number(b, "p99_us");
            double rateA = number(a, "ops_per_s");
            double rateB = number(b, "ops_per_s");
            double count = Math.min(number(a, "count"), number(b, "count"));
            boolean slower = count >= P99_MIN_COUNT && p99b > p99a * (1 + limit) && p99b - p99a > P99_FLOOR_US;
            boolean fewer = count >= RATE_MIN_COUNT && rateB < rateA * (1 - limit);
            ok &= !slower && !fewer;
            out.printf("%-18s %10.1f %10.1f %7s%s   %10.1f %10.1f %7s%s%s%n", kind, p99a, p99b, change(p99a, p99b),
                    slower ? "!" : count >= P99_MIN_COUNT ? " " : "~", rateA, rateB, change(rateA, rateB), fewer ? "!" : " ",
                    count >= RATE_MIN_COUNT ? "" : "  (too few to judge)");
        }
        out.println("(~: a p99 of fewer than " + P99_MIN_COUNT + " operations, shown, not judged)");
        out.println(ok ? "no regression past " + thresholdPercent + "%" : "regressed past " + thresholdPercent + "% (marked !)");
        return ok;
    }

    private static TreeSet<String> union(JsonObject a, JsonObject b) {
        TreeSet<String> all = new TreeSet<>(a.keySet());
        all.addAll(b.keySet());
        return all;
    }

    private static JsonObject operations(Path report) throws IOException {
        if (Files.size(report) > 64L << 20) {
            throw new IllegalArgumentException(report + " is larger than a sim report can be");
        }
        try {
            JsonElement root = JsonParser.parseString(Files.readString(report));
            JsonObject o = root.getAsJsonObject();
            if (!o.has("schema") || !o.get("schema").getAsString().startsWith("strata-sim/")) {
                throw new IllegalArgumentException(report + " is not a strata sim report (no strata-sim schema)");
            }
            return o.getAsJsonObject("strata").getAsJsonObject("operations");
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException i && i.getMessage() != null && i.getMessage().contains("strata sim report")) {
                throw i;
            }
            throw new IllegalArgumentException(report + " is not a strata sim report: " + e.getMessage());
        }
    }

    private static double number(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsDouble() : 0;
    }

    private static String change(double a, double b) {
        if (a == 0) {
            return b == 0 ? "0%" : "new";
        }
        return String.format("%+.0f%%", (b - a) / a * 100);
    }
}
