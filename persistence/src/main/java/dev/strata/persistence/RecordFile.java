package dev.strata.persistence;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The small human-readable records of runtimes and snapshots: a header naming kind and version,
 * then {@code key=value} lines, replaced atomically as a whole.
 */
final class RecordFile {
    private RecordFile() {
    }

    static void write(Path file, String header, Map<String, String> fields) throws IOException {
        write(file, header, fields, true);
    }

    static void write(Path file, String header, Map<String, String> fields, boolean durable) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder out = new StringBuilder(header).append('\n');
        fields.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        AtomicFiles.write(file, out.toString().getBytes(StandardCharsets.UTF_8), file.getParent(), durable);
    }

    /** The subdirectories of {@code parent} (none when it does not exist), by name. */
    static java.util.List<Path> directories(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return java.util.List.of();
        }
        try (java.util.stream.Stream<Path> children = Files.list(parent)) {
            return children.filter(Files::isDirectory).sorted().toList();
        }
    }

    /** The fields of {@code file}, or null when there is no such file. */
    static Properties read(Path file, String header) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!text.startsWith(header)) {
            throw new IOException(file + " is not a " + header.substring(2) + " record");
        }
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }
}
