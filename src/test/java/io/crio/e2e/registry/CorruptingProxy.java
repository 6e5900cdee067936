package io.crio.e2e.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that serves chosen blobs with wrong bytes (same
 * length, one byte flipped; or cut short), so a puller going through {@link #url()} must notice the
 * digest mismatch. Everything else passes through unchanged; every request is recorded.
 *
 * <p>Clients of an "insecure" registry (containers/image, CRI-O) first try TLS and fall back to plain
 * HTTP when that fails. The JDK's HttpServer would wait for a request line that never comes (a 10 s
 * stall per pull), so a small TCP front closes connections that open with a TLS handshake at once and
 * relays the others to the HttpServer.
 */
public final class CorruptingProxy implements AutoCloseable {

    /** What to do to a blob's bytes. */
    public enum Damage {
        /** Same length, the middle byte flipped: only a digest check notices. */
        FLIP_BYTE,
        /** Half the bytes, with a Content-Length that says so. */
        TRUNCATE
    }

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "transfer-encoding",
            "keep-alive", "upgrade", "host", "expect", "date", "te", "trailer", "proxy-connection");

    private final HttpServer server;
    private final ServerSocket front;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final URI upstream;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Damage> damaged = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private CorruptingProxy(HttpServer server, ServerSocket front, URI upstream) {
        this.server = server;
        this.front = front;
        this.upstream = upstream;
    }

    /** A proxy in front of {@code registry} ("127.0.0.1:PORT"). */
    public static CorruptingProxy start(String registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ServerSocket front = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        CorruptingProxy proxy = new CorruptingProxy(server, front, URI.create("http://" + registry));
        server.createContext("/", proxy::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        Thread.ofVirtual().name("corrupting-proxy-accept").start(proxy::acceptLoop);
        return proxy;
    }

    public static CorruptingProxy start(RegistryServer registry) throws IOException {
        return start(registry.url());
    }

    /** {@code 127.0.0.1:PORT}: pull through this to get the damaged blobs. */
    public String url() {
        return "127.0.0.1:" + front.getLocalPort();
    }

    private void acceptLoop() {
        while (!front.isClosed()) {
            try {
                Socket client = front.accept();
                open.add(client);
                Thread.ofVirtual().start(() -> relay(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Closes TLS attempts at once; pipes everything else to the HttpServer and back. */
    private void relay(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            int first = in.read();
            if (first < 0 || first == 0x16) {
                return;
            }
            try (Socket back = new Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
                open.add(back);
                back.getOutputStream().write(first);
                Thread up = Thread.ofVirtual().start(() -> pump(in, back));
                pump(back.getInputStream(), client);
                up.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } catch (IOException e) {
            // connection gone
        } finally {
            open.removeIf(Socket::isClosed);
        }
    }

    private static void pump(InputStream from, Socket to) {
        try {
            from.transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed
        }
    }

    /** From now on, GETs of blob {@code digest} (in any repository) are served flipped. */
    public CorruptingProxy corruptBlob(String digest) {
        return damageBlob(digest, Damage.FLIP_BYTE);
    }

    public CorruptingProxy damageBlob(String digest, Damage damage) {
        damaged.put(digest, damage);
        return this;
    }

    public void heal(String digest) {
        damaged.remove(digest);
    }

    /** "METHOD /path?query → status" for each request so far. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            URI target = upstream.resolve(ex.getRequestURI().getRawPath()
                    + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
            byte[] body = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofMinutes(5))
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> b.header(name, v));
                }
            });
            HttpResponse<byte[]> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
                return;
            } catch (IOException e) {
                requests.add(method + " " + ex.getRequestURI() + " → 502 " + e);
                ex.sendResponseHeaders(502, -1);
                return;
            }
            byte[] out = r.body();
            Damage damage = blobDigest(ex.getRequestURI().getRawPath()) instanceof String d ? damaged.get(d) : null;
            if (damage != null && r.statusCode() / 100 == 2 && out.length > 0 && method.equals("GET")) {
                out = switch (damage) {
                    case FLIP_BYTE -> {
                        byte[] copy = out.clone();
                        copy[copy.length / 2] ^= 0x5a;
                        yield copy;
                    }
                    case TRUNCATE -> java.util.Arrays.copyOf(out, out.length / 2);
                };
            }
            requests.add(method + " " + ex.getRequestURI() + " → " + r.statusCode() + (damage != null ? " (" + damage + ")" : ""));
            r.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    ex.getResponseHeaders().put(name, values);
                }
            });
            boolean noBody = method.equals("HEAD") || r.statusCode() == 204 || r.statusCode() == 304;
            if (noBody) {
                r.headers().firstValue("Content-Length").ifPresent(v -> ex.getResponseHeaders().set("Content-Length", v));
                ex.sendResponseHeaders(r.statusCode(), -1);
            } else {
                ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
                ex.getResponseBody().write(out);
            }
        }
    }

    /** The digest in {@code /v2/<name>/blobs/<digest>}, or null. */
    private static String blobDigest(String path) {
        int i = path.lastIndexOf("/blobs/");
        if (!path.startsWith("/v2/") || i < 0 || path.contains("/blobs/uploads")) {
            return null;
        }
        return path.substring(i + "/blobs/".length());
    }

    @Override
    public void close() {
        try {
            front.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        server.stop(0);
    }
}
