package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry client against a small HTTP server on 127.0.0.1 playing registry and token service. */
class RegistryClientTest {

    static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
    static final byte[] BLOB = "blob-content".getBytes(StandardCharsets.UTF_8);

    HttpServer server;
    RegistryEndpoint ep;
    RegistryClient client;
    final List<String> authHeaders = new CopyOnWriteArrayList<>();
    final AtomicInteger flaky = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
        ep = new RegistryEndpoint("127.0.0.1:" + server.getAddress().getPort(), false);
        client = RegistryClient.createDefault();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        authHeaders.add(path + " " + auth);
        String basicOk = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
        switch (path) {
            case "/token" -> {
                if (!basicOk.equals(auth)) {
                    send(ex, 401, new byte[0]);
                    return;
                }
                send(ex, 200, "{\"token\":\"tok-1\",\"expires_in\":300}".getBytes(StandardCharsets.UTF_8));
            }
            case "/v2/basic/app/manifests/v1" -> {
                if (!basicOk.equals(auth)) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"r\"");
                    send(ex, 401, new byte[0]);
                    return;
                }
                ex.getResponseHeaders().add("Content-Type", MediaTypes.OCI_MANIFEST);
                send(ex, 200, MANIFEST);
            }
            case "/v2/bearer/app/manifests/v1" -> {
                if (!"Bearer tok-1".equals(auth)) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + ep.host()
                            + "/token\",service=\"test\",scope=\"repository:bearer/app:pull\"");
                    send(ex, 401, new byte[0]);
                    return;
                }
                send(ex, 200, MANIFEST);
            }
            case "/v2/flaky/app/manifests/v1" -> {
                if (flaky.incrementAndGet() < 3) {
                    send(ex, 503, "busy".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                send(ex, 200, MANIFEST);
            }
            case "/v2/open/app/blobs/sha256:" + "a" -> send(ex, 200, BLOB);
            case "/v2/redirect/app/blobs/sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" -> {
                ex.getResponseHeaders().add("Location", "/storage/blob");
                send(ex, 307, new byte[0]);
            }
            case "/storage/blob" -> send(ex, 200, BLOB);
            default -> send(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
        ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    @Test
    void basicAuthAfterAChallengeAndPlainHttpForLoopback() throws Exception {
        RegistryClient.FetchedManifest m = client.manifest(ep, "basic/app", "v1", new Credentials("alice", "pw", "", ""));
        assertArrayEquals(MANIFEST, m.body());
        assertEquals(Digest.sha256(MANIFEST), m.digest());
        ImageException denied = assertThrows(ImageException.class,
                () -> RegistryClient.createDefault().manifest(ep, "basic/app", "v1", new Credentials("alice", "wrong", "", "")));
        assertEquals(ImageException.Kind.UNAUTHORIZED, denied.kind());
        ImageException anonymous = assertThrows(ImageException.class,
                () -> RegistryClient.createDefault().manifest(ep, "basic/app", "v1", Credentials.NONE));
        assertEquals(ImageException.Kind.UNAUTHORIZED, anonymous.kind());
    }

    @Test
    void bearerTokenIsFetchedOnceAndReused() throws Exception {
        Credentials alice = new Credentials("alice", "pw", "", "");
        client.manifest(ep, "bearer/app", "v1", alice);
        client.manifest(ep, "bearer/app", "v1", alice);
        long tokenRequests = authHeaders.stream().filter(h -> h.startsWith("/token ")).count();
        assertEquals(1, tokenRequests);
        assertEquals(List.of("repository:bearer/app:pull"), client.cachedScopes());
        ImageException e = assertThrows(ImageException.class,
                () -> RegistryClient.createDefault().manifest(ep, "bearer/app", "v1", new Credentials("alice", "bad", "", "")));
        assertEquals(ImageException.Kind.UNAUTHORIZED, e.kind());
    }

    @Test
    void transientErrorsAreRetriedAndMissingThingsAreNotFound() throws Exception {
        assertArrayEquals(MANIFEST, client.manifest(ep, "flaky/app", "v1", Credentials.NONE).body());
        assertEquals(3, flaky.get());
        ImageException e = assertThrows(ImageException.class, () -> client.manifest(ep, "nope/app", "v1", Credentials.NONE));
        assertEquals(ImageException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void redirectsAreFollowedWithoutCredentials() throws Exception {
        Digest d = new Digest("sha256", "a".repeat(64));
        try (InputStream in = client.blob(ep, "redirect/app", d, new Credentials("", "", "", "regtoken"))) {
            assertArrayEquals(BLOB, in.readAllBytes());
        }
        String storageAuth = authHeaders.stream().filter(h -> h.startsWith("/storage/blob ")).findFirst().orElseThrow();
        assertEquals("/storage/blob null", storageAuth);
        assertNull(null);
    }
}
