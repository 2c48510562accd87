package dev.strata.ops.cli;

import dev.strata.ops.StrataConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "config", description = "Print the effective configuration and where each value came from "
        + "(default < /etc/strata/strata.conf < $STRATA_HOME/strata.conf < STRATA_* environment < flags).")
final class ConfigCommand implements Runnable {
    @ParentCommand
    StrataCommand strata;

    @Option(names = "--json", description = "Print JSON: {key: {value, source}}.")
    boolean json;

    @Override
    public void run() {
        StrataConfig config = strata.config();
        if (json) {
            Map<String, Map<String, String>> out = new LinkedHashMap<>();
            config.values().forEach((k, v) -> out.put(k, Map.of("value", v.value(), "source", v.source())));
            Json.print(strata, out);
            return;
        }
        config.values().forEach((k, v) -> strata.out.printf("strata.%-12s = %-40s # %s%n", k, v.value(), v.source()));
    }
}
