package dev.strata.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster traffic over mutual TLS (Artery tls-tcp): two daemons with certificates from the fleet's
 * test CA form a fleet; a third with a certificate from another CA, though it names the same seed
 * nodes and trusts the fleet's CA, never becomes a member.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FleetTlsTest {
    private static final String PASSWORD = "fleet-test-store-password";

    /** A test CA's key store, and node stores whose certificates it signed (keytool, as an admin would). */
    record TestCa(Path dir, String name) {
        static TestCa create(Path dir, String name) throws Exception {
            Files.createDirectories(dir);
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", dir.resolve("ca.p12").toString(), "-storepass", PASSWORD);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-storepass", PASSWORD,
                    "-file", dir.resolve("ca.pem").toString());
            keytool("-importcert", "-noprompt", "-alias", "ca", "-storetype", "PKCS12", "-keystore", dir.resolve("trust.p12").toString(),
                    "-storepass", PASSWORD, "-file", dir.resolve("ca.pem").toString());
            return new TestCa(dir, name);
        }

        Path trustStore() {
            return dir.resolve("trust.p12");
        }

        /** A node's key store: its key and a certificate this CA signed, with the CA in its chain. */
        Path node(String node) throws Exception {
            Path store = dir.resolve(node + ".p12");
            Path csr = dir.resolve(node + ".csr");
            Path pem = dir.resolve(node + ".pem");
            keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-dname", "CN=127.0.0.1, OU=" + node, "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD);
            keytool("-certreq", "-alias", "node", "-keystore", store.toString(), "-storepass", PASSWORD, "-file", csr.toString());
            keytool("-gencert", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
                    "-outfile", pem.toString(), "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-file", dir.resolve("ca.pem").toString());
            keytool("-importcert", "-noprompt", "-alias", "node", "-keystore", store.toString(), "-storepass", PASSWORD, "-file", pem.toString());
            return store;
        }

        private static void keytool(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("keytool " + String.join(" ", args) + " failed: " + out);
            }
        }
    }

    private static String tls(Path keyStore, Path trustStore) {
        return ", tls { key-store = \"" + keyStore + "\", trust-store = \"" + trustStore + "\", password-env = \"FLEET_TLS_PASSWORD\" }";
    }

    @Test
    void aNodeWithAnotherCasCertificateCannotJoin() throws Exception {
        Path certs = Files.createTempDirectory("strata-fleet-certs-");
        List<DaemonFixture> daemons = new ArrayList<>();
        try {
            TestCa fleetCa = TestCa.create(certs.resolve("fleet-ca"), "Strata test fleet CA");
            TestCa otherCa = TestCa.create(certs.resolve("other-ca"), "Some other CA");
            int[] ports = FleetTest.freePorts(3);
            int[] fleet = {ports[0], ports[1]};
            Map<String, String> env = Map.of("FLEET_TLS_PASSWORD", PASSWORD);
            for (int i = 0; i < 2; i++) {
                daemons.add(DaemonFixture.withConfig(FleetTest.config(fleet, i, tls(fleetCa.node("node" + i), fleetCa.trustStore())), env));
            }
            DaemonFixture first = daemons.get(0);
            FleetTest.awaitStatus(first, s -> FleetTest.count(s, " up ") == 2, 90);

            // the rogue names the fleet's seeds and trusts the fleet's CA; its own certificate is another CA's
            int[] rogueView = {ports[0], ports[1], ports[2]};
            DaemonFixture rogue = DaemonFixture.withConfig(FleetTest.config(rogueView, 2, tls(otherCa.node("rogue"), fleetCa.trustStore())), env);
            daemons.add(rogue);
            Thread.sleep(15_000); // several join attempts
            String status = FleetTest.status(first);
            assertEquals(2, FleetTest.count(status, " up "), status);
            assertFalse(status.contains(FleetTest.address(ports[2])), "the rogue is no member: " + status);
            assertTrue(rogue.log().contains("SSLHandshakeException: Received fatal alert: bad_certificate"),
                    "the fleet refused the rogue's certificate in the TLS handshake: " + rogue.log());
        } finally {
            for (DaemonFixture d : daemons) {
                d.close();
            }
            dev.strata.persistence.Renderer.deleteTree(certs);
        }
    }
}
