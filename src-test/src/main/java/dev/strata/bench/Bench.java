package dev.strata.bench;

import java.util.Arrays;

/** Entry point of {@code bin/bench NAME [ARGS]}: each benchmark prints its figures and baseline ratios. */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        String name = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (name) {
            case "engine" -> EngineBenchmark.main(rest);
            case "mount" -> MountBenchmark.main(rest);
            case "write" -> WriteBenchmark.main(rest);
            case "snapshot" -> SnapshotBenchmark.main(rest);
            case "client" -> ClientBenchmark.main(rest);
            case "remote" -> RemoteBenchmark.main(rest);
            case "fleet" -> FleetBenchmark.main(rest);
            case "meta" -> MetadataBenchmark.main(rest);
            default -> {
                System.err.println("usage: bin/bench engine [ENTRIES] | mount [GIB] | write [GIB [FILES]] | snapshot [BASE_FILES...] | client [ROUNDS] | remote [GIB [FILES]] | fleet [DAEMONS...] | meta [FILES [DIRS]]");
                System.exit(2);
            }
        }
    }
}
