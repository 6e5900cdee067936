package io.crio.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks the OCI distribution API to registries: manifests and blobs, with Basic and Bearer
 * authentication (tokens cached per registry, scope and credentials until they expire), HTTPS with a
 * plain-HTTP fallback for insecure and loopback registries, redirects followed without credentials,
 * and transient failures retried with backoff.
 */
public final class RegistryClient {

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final int ATTEMPTS = 3;
    private static final int MAX_REDIRECTS = 5;
    private static final long MAX_MANIFEST_BYTES = 4L * 1024 * 1024;

    /** A fetched manifest: its bytes, the Content-Type the registry gave, and the digest of the bytes. */
    public record FetchedManifest(byte[] body, String contentType, Digest digest) {}

    private record TokenKey(String host, String scope, Credentials credentials) {}

    private record Token(String value, Instant expires) {}

    private final HttpClient http;
    private final RegistryTls tls;
    private final Map<String, HttpClient> tlsClients = new ConcurrentHashMap<>();
    private final Duration timeout;
    private final Map<TokenKey, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, String> schemes = new ConcurrentHashMap<>();

    public RegistryClient(RegistryTls tls, Duration timeout) {
        this.tls = tls;
        this.http = builder().build();
        this.timeout = timeout;
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(15))
                .version(HttpClient.Version.HTTP_1_1);
    }

    public static RegistryClient createDefault() {
        return new RegistryClient(RegistryTls.system(), Duration.ofMinutes(10));
    }

    /** The HTTP client for an endpoint: its TLS trust depends on the host's certificates and insecure flag. */
    private HttpClient clientFor(RegistryEndpoint ep) throws IOException {
        if (!ep.insecure() && !tls.hasHostCertificates(ep.host())) {
            return http;
        }
        HttpClient c = tlsClients.get(ep.host() + "|" + ep.insecure());
        if (c == null) {
            c = builder().sslContext(tls.context(ep.host(), ep.insecure())).build();
            tlsClients.put(ep.host() + "|" + ep.insecure(), c);
        }
        return c;
    }

    public FetchedManifest manifest(RegistryEndpoint ep, String repository, String reference, Credentials creds)
            throws ImageException {
        String path = "/v2/" + repository + "/manifests/" + reference;
        HttpResponse<InputStream> r = send(ep, repository, path, creds, String.join(", ", MediaTypes.ACCEPTED));
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes((int) MAX_MANIFEST_BYTES + 1);
            if (body.length > MAX_MANIFEST_BYTES) {
                throw ImageException.invalid("manifest of " + repository + " is larger than " + MAX_MANIFEST_BYTES + " bytes");
            }
            String type = r.headers().firstValue("Content-Type").orElse("");
            return new FetchedManifest(body, type, Digest.sha256(body));
        } catch (IOException e) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "reading manifest of " + repository + ": " + e.getMessage(), e);
        }
    }

    /** Opens a blob for streaming; the caller verifies its digest while reading and closes the stream. */
    public InputStream blob(RegistryEndpoint ep, String repository, Digest digest, Credentials creds) throws ImageException {
        return send(ep, repository, "/v2/" + repository + "/blobs/" + digest, creds, "*/*").body();
    }

    private HttpResponse<InputStream> send(RegistryEndpoint ep, String repository, String path, Credentials creds,
                                           String accept) throws ImageException {
        ImageException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return sendOnce(ep, repository, path, creds, accept);
            } catch (ImageException e) {
                if (e.kind() != ImageException.Kind.TRANSIENT || attempt == ATTEMPTS) {
                    throw e;
                }
                last = e;
                long backoff = 200L << (attempt - 1);
                log.info("Retrying {}{} in {} ms after: {}", ep.host(), path, backoff, e.getMessage());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ImageException(ImageException.Kind.CANCELLED, "pull interrupted");
                }
            }
        }
        throw last;
    }

    private HttpResponse<InputStream> sendOnce(RegistryEndpoint ep, String repository, String path, Credentials creds,
                                               String accept) throws ImageException {
        // loopback registries are plain HTTP as a rule (docker does the same) unless they have certificates
        // configured; others try TLS first
        String scheme = schemes.getOrDefault(ep.host(),
                RegistryEndpoint.isLoopback(ep.host()) && !tls.hasHostCertificates(ep.host()) ? "http" : "https");
        String authorization = cachedAuthorization(ep, repository, creds);
        HttpResponse<InputStream> r;
        try {
            r = get(ep, URI.create(scheme + "://" + ep.apiHost() + path), accept, authorization);
        } catch (IOException e) {
            // a registry that may speak either protocol and answered in the other one: switch once, remember
            boolean protocolMismatch = e instanceof SSLException || describe(e).contains("status line")
                    || describe(e).contains("header parser");
            if (ep.allowsPlainHttp() && protocolMismatch && !schemes.containsKey(ep.host())) {
                schemes.put(ep.host(), scheme.equals("https") ? "http" : "https");
                return sendOnce(ep, repository, path, creds, accept);
            }
            throw new ImageException(ImageException.Kind.TRANSIENT, "cannot reach registry " + ep.host() + ": " + describe(e), e);
        }
        if (r.statusCode() == 401) {
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            close(r);
            String auth = authorize(ep, repository, creds, challenge);
            try {
                r = get(ep, URI.create(scheme + "://" + ep.apiHost() + path), accept, auth);
            } catch (IOException e) {
                throw new ImageException(ImageException.Kind.TRANSIENT, "cannot reach registry " + ep.host() + ": " + describe(e), e);
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                close(r);
                throw new ImageException(ImageException.Kind.UNAUTHORIZED, "registry " + ep.host() + " refused "
                        + creds + " for " + repository + " (HTTP " + r.statusCode() + ")");
            }
        }
        return check(ep, repository, path, followRedirects(ep, r, accept));
    }

    private HttpResponse<InputStream> followRedirects(RegistryEndpoint ep, HttpResponse<InputStream> r, String accept)
            throws ImageException {
        for (int i = 0; i < MAX_REDIRECTS && r.statusCode() / 100 == 3; i++) {
            Optional<String> location = r.headers().firstValue("Location");
            close(r);
            if (location.isEmpty()) {
                throw ImageException.invalid("registry redirect without Location");
            }
            URI target = r.uri().resolve(location.get());
            try {
                r = get(ep, target, accept, null);
            } catch (IOException e) {
                throw new ImageException(ImageException.Kind.TRANSIENT, "following redirect to " + target.getHost() + ": " + describe(e), e);
            }
        }
        return r;
    }

    private static HttpResponse<InputStream> check(RegistryEndpoint ep, String repository, String path,
                                                   HttpResponse<InputStream> r) throws ImageException {
        int code = r.statusCode();
        if (code == 200) {
            return r;
        }
        String detail = errorDetail(r);
        if (code == 404) {
            throw new ImageException(ImageException.Kind.NOT_FOUND, ep.host() + "/" + repository + ": "
                    + (path.contains("/manifests/") ? "manifest " : "blob ") + path.substring(path.lastIndexOf('/') + 1)
                    + " not found" + detail);
        }
        if (code == 401 || code == 403) {
            throw new ImageException(ImageException.Kind.UNAUTHORIZED, "registry " + ep.host() + " denied access to "
                    + repository + " (HTTP " + code + ")" + detail);
        }
        if (code == 429 || code >= 500) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "registry " + ep.host() + " answered HTTP " + code + detail);
        }
        throw new ImageException(ImageException.Kind.INVALID_CONTENT, "registry " + ep.host() + " answered HTTP " + code
                + " for " + path + detail);
    }

    private static String errorDetail(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            String body = new String(in.readNBytes(2048), StandardCharsets.UTF_8).strip();
            return body.isEmpty() ? "" : ": " + body.replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "";
        }
    }

    private HttpResponse<InputStream> get(RegistryEndpoint ep, URI uri, String accept, String authorization)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).GET().header("Accept", accept)
                .header("User-Agent", "cri-o/java");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return clientFor(ep).send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private String cachedAuthorization(RegistryEndpoint ep, String repository, Credentials creds) {
        if (!creds.registryToken().isEmpty()) {
            return "Bearer " + creds.registryToken();
        }
        Token t = tokens.get(new TokenKey(ep.host(), scope(repository), creds));
        if (t != null && t.expires().isAfter(Instant.now())) {
            return t.value();
        }
        return null;
    }

    private static String scope(String repository) {
        return "repository:" + repository + ":pull";
    }

    /** Answers a 401 challenge: Basic with the credentials, or a bearer token from the realm. */
    private String authorize(RegistryEndpoint ep, String repository, Credentials creds, String header) throws ImageException {
        BearerChallenge challenge = BearerChallenge.parse(header).orElseThrow(() -> new ImageException(
                ImageException.Kind.UNAUTHORIZED, "registry " + ep.host() + " requires authentication but sent no challenge"));
        TokenKey key = new TokenKey(ep.host(), scope(repository), creds);
        if (challenge.scheme().equals("basic")) {
            if (!creds.hasBasic()) {
                throw new ImageException(ImageException.Kind.UNAUTHORIZED, "registry " + ep.host()
                        + " requires a username and password for " + repository);
            }
            String value = creds.basicHeader();
            tokens.put(key, new Token(value, Instant.now().plus(Duration.ofHours(1))));
            return value;
        }
        if (!challenge.scheme().equals("bearer") || challenge.realm().isEmpty()) {
            throw new ImageException(ImageException.Kind.UNAUTHORIZED, "registry " + ep.host()
                    + " asks for an unsupported authentication: " + header);
        }
        String scope = challenge.params().getOrDefault("scope", scope(repository));
        StringBuilder url = new StringBuilder(challenge.realm());
        url.append(challenge.realm().contains("?") ? '&' : '?');
        String service = challenge.params().get("service");
        if (service != null) {
            url.append("service=").append(enc(service)).append('&');
        }
        url.append("scope=").append(enc(scope));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(60)).GET();
        if (creds.hasBasic()) {
            b.header("Authorization", creds.basicHeader());
        } else if (!creds.identityToken().isEmpty()) {
            b = HttpRequest.newBuilder(URI.create(challenge.realm())).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&client_id=cri-o&refresh_token="
                            + enc(creds.identityToken()) + (service == null ? "" : "&service=" + enc(service))
                            + "&scope=" + enc(scope)));
        }
        HttpResponse<byte[]> r;
        try {
            HttpRequest tokenRequest = b.build();
            r = clientFor(new RegistryEndpoint(tokenRequest.uri().getAuthority(), ep.insecure()))
                    .send(tokenRequest, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "cannot reach token service " + challenge.realm() + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(ImageException.Kind.CANCELLED, "pull interrupted");
        }
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new ImageException(ImageException.Kind.UNAUTHORIZED, "token service " + challenge.realm() + " refused "
                    + creds + " for " + scope + " (HTTP " + r.statusCode() + ")");
        }
        if (r.statusCode() != 200) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "token service " + challenge.realm() + " answered HTTP " + r.statusCode());
        }
        JsonNode json;
        try {
            json = Manifest.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ImageException(ImageException.Kind.UNAUTHORIZED, "token service returned invalid JSON");
        }
        String token = json.path("token").asText(json.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new ImageException(ImageException.Kind.UNAUTHORIZED, "token service returned no token");
        }
        long expiresIn = Math.max(60, json.path("expires_in").asLong(60));
        String value = "Bearer " + token;
        tokens.put(key, new Token(value, Instant.now().plusSeconds(expiresIn - 10)));
        return value;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException ignored) {
            // the response is discarded either way
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 300; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            String part = m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
            if (!sb.toString().contains(part)) {
                sb.append(sb.length() == 0 ? "" : ": ").append(part);
            }
        }
        return sb.toString();
    }

    /** For tests: the schemes settled per registry. */
    Map<String, String> schemes() {
        return Map.copyOf(schemes);
    }

    List<String> cachedScopes() {
        return tokens.keySet().stream().map(TokenKey::scope).toList();
    }
}
