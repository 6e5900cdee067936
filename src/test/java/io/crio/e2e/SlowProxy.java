package io.crio.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that sends blob bodies slowly (a chunk, then a
 * pause), so a test can act while a pull is in the middle of a layer.
 */
final class SlowProxy implements AutoCloseable {

    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String upstream;
    private final int bytesPerTick;
    private final long tickMillis;

    SlowProxy(String upstream, int bytesPerTick, long tickMillis) throws IOException {
        this.upstream = upstream;
        this.bytesPerTick = bytesPerTick;
        this.tickMillis = tickMillis;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::forward);
        server.start();
    }

    String url() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()))
                    .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            for (String h : List.of("Accept", "Authorization")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) {
                    b.header(h, v);
                }
            }
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
            r.headers().firstValue("Docker-Content-Digest").ifPresent(v -> ex.getResponseHeaders().add("Docker-Content-Digest", v));
            boolean blob = ex.getRequestURI().getPath().contains("/blobs/");
            ex.sendResponseHeaders(r.statusCode(), 0);
            try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
                byte[] buf = new byte[blob ? bytesPerTick : 65536];
                int n;
                boolean first = true;
                while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                    if (blob && !first) {
                        Thread.sleep(tickMillis);
                    }
                    first = false;
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (the daemon was killed)
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
