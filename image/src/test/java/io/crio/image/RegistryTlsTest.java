package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS registries: a private CA in certs.d is trusted; without it the connection fails; insecure skips checks. */
class RegistryTlsTest {

    static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    HttpsServer server;
    String host;

    @BeforeEach
    void start() throws Exception {
        Path ks = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "registry", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "registry", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", dir.resolve("ca.pem").toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, MANIFEST.length);
            ex.getResponseBody().write(MANIFEST);
            ex.close();
        });
        server.start();
        host = "127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
    }

    @Test
    void privateCaInCertsDirIsTrusted() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs.d").resolve(host));
        Files.copy(dir.resolve("ca.pem"), certs.resolve("ca.crt"));
        RegistryClient client = new RegistryClient(new RegistryTls(dir.resolve("certs.d"), List.of()), Duration.ofSeconds(30));
        assertArrayEquals(MANIFEST, client.manifest(new RegistryEndpoint(host, false), "a/b", "1", Credentials.NONE).body());
    }

    @Test
    void unknownCaFailsAndInsecureSkipsVerification() throws Exception {
        Files.createDirectories(dir.resolve("certs.d").resolve(host));
        RegistryClient client = new RegistryClient(new RegistryTls(dir.resolve("certs.d"), List.of()), Duration.ofSeconds(30));
        ImageException e = assertThrows(ImageException.class,
                () -> client.manifest(new RegistryEndpoint(host, false), "a/b", "1", Credentials.NONE));
        assertEquals(ImageException.Kind.TRANSIENT, e.kind());
        RegistryClient insecure = new RegistryClient(new RegistryTls(dir.resolve("none"), List.of()), Duration.ofSeconds(30));
        assertArrayEquals(MANIFEST, insecure.manifest(new RegistryEndpoint("localhost:" + server.getAddress().getPort(), true),
                "a/b", "1", Credentials.NONE).body());
    }
}
