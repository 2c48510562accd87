package dev.strata.ops.daemon;

import dev.strata.persistence.Renderer;
import dev.strata.persistence.RuntimeRecord;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The runtimes directory of a home: what a daemon killed before cleaning up left behind. */
final class RuntimeDirectories {
    private static final Logger log = LoggerFactory.getLogger(RuntimeDirectories.class);

    private RuntimeDirectories() {
    }

    /** Removes the directories of runtimes that are not durable: they ended with the daemon that ran them. */
    static void removeEnded(Path runtimes) throws IOException {
        if (!Files.isDirectory(runtimes)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(runtimes)) {
            for (Path dir : dirs) {
                RuntimeRecord record;
                try {
                    record = RuntimeRecord.read(dir);
                } catch (IOException e) {
                    log.warn("keeping {}: {}", dir, e.getMessage());
                    continue;
                }
                if (record == null || !record.durable()) {
                    log.info("removing the scratch of ended runtime {}", dir.getFileName());
                    Renderer.deleteTree(dir);
                }
            }
        }
    }
}
