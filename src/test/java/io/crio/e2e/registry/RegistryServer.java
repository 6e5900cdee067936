package io.crio.e2e.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (distribution 2.8) as a child process on 127.0.0.1 and a random free
 * port, storing into a temporary directory, plain HTTP, optionally behind Basic (htpasswd) or token
 * auth. {@link #close()} stops it and deletes the directory (set {@code -Dcrio.e2e.keepRegistry=true}
 * to keep it for a post-mortem). The registry's own log goes to {@link #logFile()}.
 *
 * <pre>{@code
 * try (RegistryServer registry = RegistryServer.builder().withBasicAuth("alice", "s3cret").start()) {
 *     RegistryPusher pusher = RegistryPusher.of(registry);
 *     PushedImage img = FixtureImages.singleLayer(pusher, "e2e/busybox", "latest");
 *     String ref = img.reference(registry.url());
 * }
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {

    public static final Path DEFAULT_BINARY = Path.of("/usr/bin/docker-registry");

    public enum Auth { NONE, BASIC, TOKEN }

    public record Credentials(String user, String password) {
    }

    private final Path dir;
    private final Process process;
    private final int port;
    private final Path log;
    private final Auth auth;
    private final Credentials credentials;
    private final TokenServer tokenServer;
    private final Thread shutdownHook;

    private RegistryServer(Path dir, Process process, int port, Path log, Auth auth, Credentials credentials,
            TokenServer tokenServer) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.log = log;
        this.auth = auth;
        this.credentials = credentials;
        this.tokenServer = tokenServer;
        this.shutdownHook = new Thread(this::stopQuietly, "registry-" + port + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An open registry (no auth). */
    public static RegistryServer start() throws IOException {
        return builder().start();
    }

    /** {@code builder().withBasicAuth(user, password)}. */
    public static Builder withBasicAuth(String user, String password) {
        return builder().withBasicAuth(user, password);
    }

    /** {@code builder().withTokenAuth(user, password)}. */
    public static Builder withTokenAuth(String user, String password) {
        return builder().withTokenAuth(user, password);
    }

    public static final class Builder {
        private Auth auth = Auth.NONE;
        private Credentials credentials;
        private boolean anonymousPull;
        private Path binary = DEFAULT_BINARY;

        private Builder() {
        }

        /** Every request needs these credentials (htpasswd with a bcrypt entry). */
        public Builder withBasicAuth(String user, String password) {
            this.auth = Auth.BASIC;
            this.credentials = new Credentials(user, password);
            return this;
        }

        /**
         * Every request needs a bearer token from our {@link TokenServer}, which gives one to these
         * credentials (all actions) and, if {@code anonymousPull}, pull-only tokens to anyone.
         */
        public Builder withTokenAuth(String user, String password, boolean anonymousPull) {
            this.auth = Auth.TOKEN;
            this.credentials = new Credentials(user, password);
            this.anonymousPull = anonymousPull;
            return this;
        }

        public Builder withTokenAuth(String user, String password) {
            return withTokenAuth(user, password, false);
        }

        public Builder binary(Path binary) {
            this.binary = binary;
            return this;
        }

        public RegistryServer start() throws IOException {
            if (!Files.isExecutable(binary)) {
                throw new IOException(binary + " is missing: install Debian's docker-registry package");
            }
            Path dir = Files.createTempDirectory("crio-e2e-registry-");
            TokenServer tokens = null;
            try {
                String authYaml = switch (auth) {
                    case NONE -> "";
                    case BASIC -> {
                        Path htpasswd = dir.resolve("htpasswd");
                        Files.writeString(htpasswd, credentials.user() + ":" + BCrypt.hash(credentials.password(), 4) + "\n");
                        yield """
                                auth:
                                  htpasswd:
                                    realm: crio-e2e-registry
                                    path: %s
                                """.formatted(htpasswd);
                    }
                    case TOKEN -> {
                        tokens = TokenServer.start(dir, credentials.user(), credentials.password(), anonymousPull);
                        yield """
                                auth:
                                  token:
                                    realm: %s
                                    service: %s
                                    issuer: %s
                                    rootcertbundle: %s
                                """.formatted(tokens.realm(), TokenServer.SERVICE, TokenServer.ISSUER, tokens.certBundle());
                    }
                };
                IOException last = null;
                for (int attempt = 0; attempt < 5; attempt++) {
                    int port = freePort();
                    Path config = dir.resolve("config.yml");
                    Files.writeString(config, config(dir, port, authYaml));
                    Path log = dir.resolve("registry-" + port + ".log");
                    ProcessBuilder pb = new ProcessBuilder(binary.toString(), "serve", config.toString())
                            .redirectErrorStream(true).redirectOutput(log.toFile());
                    pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
                    Process process = pb.start();
                    try {
                        awaitReady(process, port, log);
                        return new RegistryServer(dir, process, port, log, auth, credentials, tokens);
                    } catch (IOException e) {
                        destroy(process);
                        last = e;
                        if (!Files.readString(log).contains("address already in use")) {
                            break;
                        }
                    }
                }
                throw last;
            } catch (IOException | RuntimeException e) {
                if (tokens != null) {
                    tokens.close();
                }
                deleteTree(dir);
                throw e;
            }
        }
    }

    private static String config(Path dir, int port, String authYaml) {
        byte[] secret = new byte[16];
        new java.security.SecureRandom().nextBytes(secret);
        return """
                version: 0.1
                log:
                  level: info
                  formatter: text
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:%d
                  secret: %s
                health:
                  storagedriver:
                    enabled: false
                %s""".formatted(dir.resolve("storage"), port, HexFormat.of().formatHex(secret), authYaml);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitReady(Process process, int port, Path log) throws IOException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ping = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ":\n" + tail(log, 30));
            }
            try {
                HttpResponse<Void> r = client.send(ping, HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the registry", e);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the registry", e);
            }
        }
        throw new IOException("docker-registry did not answer GET /v2/ within 20 s:\n" + tail(log, 30));
    }

    /** {@code 127.0.0.1:PORT}, the registry part of an image reference. */
    public String url() {
        return "127.0.0.1:" + port;
    }

    public URI baseUri() {
        return URI.create("http://" + url());
    }

    public int port() {
        return port;
    }

    public Auth auth() {
        return auth;
    }

    /** The credentials a client needs (Basic, or to get a token); empty for an open registry. */
    public Optional<Credentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /** The token server, for {@link Auth#TOKEN} registries. */
    public Optional<TokenServer> tokenServer() {
        return Optional.ofNullable(tokenServer);
    }

    /** Where the registry keeps its blobs and repositories (distribution's filesystem layout). */
    public Path storageDir() {
        return dir.resolve("storage");
    }

    public Path logFile() {
        return log;
    }

    /** The last {@code lines} lines of the registry's log, for failure messages. */
    public String logTail(int lines) {
        return tail(log, lines);
    }

    /** A registries.conf (v2) entry marking this registry as plain HTTP, for a daemon under test. */
    public String registriesConfEntry() {
        return """
                [[registry]]
                location = "%s"
                insecure = true
                """.formatted(url());
    }

    /**
     * An auth file in the containers-auth.json / docker config.json format holding this registry's
     * credentials ({@code {"auths":{}}} for an open registry).
     */
    public String authJson() {
        if (credentials == null) {
            return "{\"auths\":{}}";
        }
        String basic = RegistryPusher.basic(credentials.user(), credentials.password()).substring("Basic ".length());
        return "{\"auths\":{\"" + url() + "\":{\"auth\":\"" + basic + "\"}}}";
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private synchronized void stopQuietly() {
        destroy(process);
        if (tokenServer != null) {
            tokenServer.close();
        }
        if (Boolean.getBoolean("crio.e2e.keepRegistry")) {
            System.err.println("keeping registry directory " + dir);
        } else {
            deleteTree(dir);
        }
    }

    private static void destroy(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (Files.notExists(file)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    static void deleteTree(Path root) {
        if (root == null || Files.notExists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }
}
