package dev.strata.ops;

import dev.strata.ops.cli.StrataCommand;

/** The {@code strata} command: see {@link StrataCommand}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(StrataCommand.execute(args, System.getenv(), System.out, System.err));
    }
}
