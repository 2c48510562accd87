package dev.strata.ops.cli;

import dev.strata.actors.ControlRules;
import dev.strata.ops.StrataConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Writes the service definition that runs an installed Strata as the machine's daemon: a systemd
 * unit on Linux, a launchd job on macOS, filled in from templates shipped in the jar.
 */
@Command(name = "install", description = "Write the systemd unit (Linux) or launchd job (macOS) that runs the daemon at boot.")
final class ServiceInstall implements Callable<Integer> {
    @ParentCommand
    ServiceCommand service;

    @Option(names = "--prefix", paramLabel = "DIR",
            description = "The installation to run (bin/install's PREFIX). Default: the one this command runs from, else /opt/strata.")
    Path prefix;

    @Option(names = "--mountpoint", paramLabel = "DIR", description = "Default: strata.mountpoint (/strata).")
    Path mountpoint;

    @Option(names = "--home", paramLabel = "DIR", description = "The service's STRATA_HOME. Default: /var/lib/strata.")
    Path home = Path.of("/var/lib/strata");

    @Option(names = "--for", paramLabel = "OS", description = "linux (a systemd unit) or macos (a launchd job). Default: this machine's.")
    String platform = System.getProperty("os.name", "").startsWith("Mac") ? "macos" : "linux";

    @Option(names = "--to", paramLabel = "DIR",
            description = "Where the file goes. Default: /etc/systemd/system (Linux), /Library/LaunchDaemons (macOS).")
    Path to;

    @Option(names = "--print", description = "Print the file instead of writing it.")
    boolean print;

    @Override
    public Integer call() throws IOException {
        StrataCommand strata = service.strata;
        StrataConfig config = strata.config();
        boolean mac = switch (platform) {
            case "linux" -> false;
            case "macos" -> true;
            default -> throw new UsageException("--for is linux or macos, not '" + ControlRules.quote(platform) + "'");
        };
        Path installed = checked("--prefix", prefix != null ? prefix : runningInstallation());
        if (!print && !Files.isExecutable(installed.resolve("bin/strata"))) {
            throw new UsageException("no strata is installed under " + installed + " (bin/install " + installed + " puts one there)");
        }
        String text = template(mac ? "dev.strata.daemon.plist" : "strata.service")
                .replace("@PREFIX@", escaped(installed, mac))
                .replace("@MOUNTPOINT@", escaped(checked("--mountpoint", ServiceCommand.effective(mountpoint, config.mountpoint())), mac))
                .replace("@HOME@", escaped(checked("--home", home), mac));
        if (print) {
            strata.out.print(text);
            return 0;
        }
        Path dir = to != null ? to : Path.of(mac ? "/Library/LaunchDaemons" : "/etc/systemd/system");
        Path file = dir.resolve(mac ? "dev.strata.daemon.plist" : "strata.service");
        try {
            Path part = Files.createTempFile(dir, ".strata-service-", ".part");
            Files.writeString(part, text);
            Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(part, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (AccessDeniedException e) {
            throw new UsageException("cannot write " + file + ": permission denied (the service is root's: run this as root)");
        }
        strata.out.println("wrote " + file);
        strata.out.println(mac ? "start it: launchctl bootstrap system " + file
                : "start it: systemctl daemon-reload && systemctl enable --now strata");
        return 0;
    }

    /** PREFIX when this runs from PREFIX/lib/strata/strata.jar (bin/install's layout), else /opt/strata. */
    private static Path runningInstallation() {
        try {
            Path jar = Path.of(ServiceInstall.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path lib = jar.getParent();
            if (jar.getFileName().toString().equals("strata.jar") && lib != null && lib.getFileName().toString().equals("strata")
                    && lib.getParent() != null && lib.getParent().getFileName().toString().equals("lib")) {
                return lib.getParent().getParent();
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // not a file: the default below
        }
        return Path.of("/opt/strata");
    }

    /**
     * An absolute path without what the unit or job syntax would read otherwise: whitespace and
     * quotes split or quote arguments, % and $ are systemd's specifiers and variables, \\ escapes.
     */
    private static Path checked(String option, Path path) {
        String s = path.toString();
        if (!path.isAbsolute()) {
            throw new UsageException(option + " must be an absolute path, not '" + ControlRules.quote(s) + "'");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || "\"'\\%$;".indexOf(c) >= 0) {
                throw new UsageException(option + " cannot hold " + (Character.isISOControl(c) || Character.isWhitespace(c)
                        ? "whitespace or control characters" : "'" + c + "'") + " in a service file: '" + ControlRules.quote(s) + "'");
            }
        }
        return path.normalize();
    }

    private static String escaped(Path path, boolean xml) {
        String s = path.toString();
        return xml ? s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") : s;
    }

    private static String template(String name) throws IOException {
        try (InputStream in = ServiceInstall.class.getResourceAsStream("/service/" + name)) {
            if (in == null) {
                throw new IOException("the jar holds no service template " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
