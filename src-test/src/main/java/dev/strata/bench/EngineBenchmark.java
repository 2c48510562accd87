package dev.strata.bench;

import dev.strata.engine.FsException;
import dev.strata.engine.LayerMerge;
import dev.strata.engine.View;
import dev.strata.persistence.Digest;
import dev.strata.persistence.Entry;
import dev.strata.persistence.Manifest;
import dev.strata.persistence.ObjectCodec;
import dev.strata.persistence.TreeBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How compact and fast a merged view of a large stack is. Builds a base layer of ENTRIES files
 * (1,000 per directory) and an upper layer changing 1% of them, merges them, and reports retained
 * heap per entry and lookups per second, each next to a baseline measured in the same run: the
 * same entries as a {@code HashMap<String, Entry>} keyed by path.
 */
public final class EngineBenchmark {
    private static final int PER_DIR = 1000;

    private EngineBenchmark() {
    }

    public static void main(String[] args) throws FsException {
        int entries = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
        int dirs = Math.max(1, entries / PER_DIR);
        System.out.printf("engine benchmark: %,d files in %,d directories, plus an upper layer changing 1%%%n", (long) dirs * PER_DIR, dirs);

        long before = usedHeap();
        long t0 = System.nanoTime();
        Manifest base = baseLayer(dirs);
        Manifest upper = upperLayer(dirs);
        long built = System.nanoTime();
        View view = new View(LayerMerge.merge(List.of(base, upper)), null);
        long merged = System.nanoTime();
        byte[] encoded = ObjectCodec.encode(base);
        long encodedAt = System.nanoTime();
        ObjectCodec.decode(Digest.sha256(encoded), encoded);
        long decodedAt = System.nanoTime();
        int baseCount = base.count();
        base = null;
        upper = null;
        encoded = null;
        long viewBytes = usedHeap() - before;
        int count = view.manifest().count();

        long beforeBaseline = usedHeap();
        Map<String, Entry> baseline = new HashMap<>();
        for (int n = 1; n < count; n++) {
            baseline.put(view.manifest().path(n), view.manifest().entry(n));
        }
        long baselineBytes = usedHeap() - beforeBaseline;

        SplittableRandom random = new SplittableRandom(42);
        int probes = 2_000_000;
        String[] paths = new String[4096];
        byte[][][] components = new byte[paths.length][][];
        for (int i = 0; i < paths.length; i++) {
            int d = random.nextInt(dirs);
            int f = random.nextInt(PER_DIR);
            if (f % 100 == 0) {
                f++; // the upper layer whited these out
            }
            paths[i] = dirName(d) + "/" + fileName(f);
            components[i] = new byte[][] {dirName(d).getBytes(StandardCharsets.UTF_8), fileName(f).getBytes(StandardCharsets.UTF_8)};
        }
        double lookups = 0;
        double resolves = 0;
        double maps = 0;
        for (int round = 0; round < 3; round++) { // the last round counts; the first two warm up
            lookups = rate(probes, i -> {
                byte[][] c = components[i & (paths.length - 1)];
                return view.lookup(view.lookup(view.root(), c[0]), c[1]);
            });
            resolves = rate(probes, i -> view.resolve(paths[i & (paths.length - 1)], true));
            maps = rate(probes, i -> baseline.get(paths[i & (paths.length - 1)]) == null ? 0 : 1);
        }

        System.out.printf("entries in the merged view:     %,d (base layer %,d)%n", count, baseCount);
        System.out.printf("build layers / merge:           %,d ms / %,d ms%n", ms(built - t0), ms(merged - built));
        System.out.printf("encode / decode base manifest:  %,d ms / %,d ms, %.1f bytes per entry on disk%n",
                ms(encodedAt - merged), ms(decodedAt - encodedAt), (double) ObjectCodec.encode(view.manifest()).length / count);
        System.out.printf("heap per entry:                 %.1f B (HashMap baseline %.1f B, ratio %.2f)%n",
                (double) viewBytes / count, (double) baselineBytes / count, (double) viewBytes / baselineBytes);
        System.out.printf("lookups per second (2 names):   %,.0f (HashMap.get of the path %,.0f, ratio %.2f)%n",
                lookups, maps, lookups / maps);
        System.out.printf("path resolutions per second:    %,.0f%n", resolves);
        System.out.printf("max heap %,d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        if (baseline.size() + 1 != count) {
            throw new AssertionError("baseline has " + baseline.size() + " entries");
        }
    }

    interface Probe {
        int run(int i) throws FsException;
    }

    private static double rate(int n, Probe probe) throws FsException {
        long sink = 0;
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink += probe.run(i);
        }
        long elapsed = System.nanoTime() - t;
        if (sink == Long.MIN_VALUE) {
            System.out.println(sink);
        }
        return n / (elapsed / 1e9);
    }

    private static String dirName(int d) {
        return "dir" + d;
    }

    private static String fileName(int f) {
        return "file-" + f + ".so";
    }

    private static Manifest baseLayer(int dirs) {
        TreeBuilder t = TreeBuilder.withDefaultRoot();
        ByteBuffer seed = ByteBuffer.allocate(8);
        for (int d = 0; d < dirs; d++) {
            t.put(dirName(d), Entry.directory(0755, 0, 0, d));
            for (int f = 0; f < PER_DIR; f++) {
                seed.clear();
                seed.putLong((long) d * PER_DIR + f);
                t.put(dirName(d) + "/" + fileName(f), Entry.file(0644, 0, 0, 1_700_000_000_000_000_000L + f, 4096 + f, Digest.sha256(seed.array())));
            }
        }
        return t.build();
    }

    private static Manifest upperLayer(int dirs) {
        TreeBuilder t = TreeBuilder.withDefaultRoot();
        for (int d = 0; d < dirs; d++) {
            t.put(dirName(d), Entry.directory(0755, 0, 0, d));
            for (int f = 0; f < PER_DIR; f += 100) {
                t.put(dirName(d) + "/" + fileName(f), Entry.whiteout());
                t.put(dirName(d) + "/" + fileName(f + 1), Entry.file(0755, 0, 0, 1, 1, Digest.sha256(new byte[] {(byte) f})));
            }
        }
        return t.build();
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
