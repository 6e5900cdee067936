package io.crio.e2e.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small OCI distribution client for putting fixtures into a registry over plain HTTP: monolithic
 * blob uploads (skipping blobs the repository has), manifest puts, and GETs for checks. It answers a
 * 401's {@code WWW-Authenticate} challenge itself: Basic with its credentials, or Bearer by fetching a
 * token from the challenge's realm (with its credentials, if any) and retrying.
 *
 * <p>Thread-safe; one instance may push several images concurrently.
 */
public final class RegistryPusher {

    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final URI base;
    private final String user;
    private final String password;
    private final HttpClient http;
    /** Authorization header values by scope key ("" for the registry as a whole, else the repository). */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();
    /** A repository known to hold each blob pushed or found, for cross-repository mounts. */
    private final Map<String, String> knownBlobs = new ConcurrentHashMap<>();

    private RegistryPusher(String registry, String user, String password) {
        this.base = URI.create("http://" + registry);
        this.user = user;
        this.password = password;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** A pusher for {@code registry} ("127.0.0.1:PORT") without credentials. */
    public static RegistryPusher anonymous(String registry) {
        return new RegistryPusher(registry, null, null);
    }

    public static RegistryPusher withCredentials(String registry, String user, String password) {
        return new RegistryPusher(registry, user, password);
    }

    /** A pusher for {@code server} using its credentials, if it requires any. */
    public static RegistryPusher of(RegistryServer server) {
        return server.credentials()
                .map(c -> withCredentials(server.url(), c.user(), c.password()))
                .orElseGet(() -> anonymous(server.url()));
    }

    public String registry() {
        return base.getAuthority();
    }

    // ---- blobs ----

    public boolean blobExists(String repository, String digest) throws IOException {
        HttpResponse<byte[]> r = send(repository, "HEAD", path(repository, "blobs/" + digest), Map.of(), null);
        if (r.statusCode() == 200) {
            return true;
        }
        if (r.statusCode() == 404) {
            return false;
        }
        throw new RegistryException("HEAD blob " + digest + " in " + repository, r.statusCode(), body(r));
    }

    /**
     * Puts {@code blob} into {@code repository} unless it is there already: mounted from another
     * repository this pusher saw it in, else uploaded in one PUT. Returns whether the repository lacked it.
     */
    public boolean pushBlob(String repository, Blob blob) throws IOException {
        if (blobExists(repository, blob.digest())) {
            knownBlobs.putIfAbsent(blob.digest(), repository);
            return false;
        }
        String from = knownBlobs.get(blob.digest());
        URI startUri = path(repository, "blobs/uploads/");
        if (from != null && !from.equals(repository)) {
            startUri = URI.create(startUri + "?mount=" + URLEncoder.encode(blob.digest(), StandardCharsets.UTF_8)
                    + "&from=" + URLEncoder.encode(from, StandardCharsets.UTF_8));
        }
        HttpResponse<byte[]> start = send(repository, "POST", startUri, Map.of(), HttpRequest.BodyPublishers.noBody());
        if (start.statusCode() == 201) {
            return true; // mounted
        }
        if (start.statusCode() != 202) {
            throw new RegistryException("start upload to " + repository, start.statusCode(), body(start));
        }
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new IOException("upload to " + repository + ": no Location"));
        URI upload = base.resolve(location);
        String sep = upload.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(upload + sep + "digest=" + URLEncoder.encode(blob.digest(), StandardCharsets.UTF_8));
        HttpRequest.BodyPublisher body = blob.bytes() != null
                ? HttpRequest.BodyPublishers.ofByteArray(blob.bytes())
                : HttpRequest.BodyPublishers.ofFile(blob.file());
        HttpResponse<byte[]> done = send(repository, "PUT", put, Map.of("Content-Type", "application/octet-stream"), body);
        if (done.statusCode() != 201) {
            throw new RegistryException("upload " + blob.digest() + " to " + repository, done.statusCode(), body(done));
        }
        String got = done.headers().firstValue("Docker-Content-Digest").orElse(blob.digest());
        if (!got.equals(blob.digest())) {
            throw new IOException("registry stored " + got + " for blob " + blob.digest());
        }
        knownBlobs.putIfAbsent(blob.digest(), repository);
        return true;
    }

    public byte[] getBlob(String repository, String digest) throws IOException {
        HttpResponse<byte[]> r = send(repository, "GET", path(repository, "blobs/" + digest), Map.of(), null);
        if (r.statusCode() != 200) {
            throw new RegistryException("GET blob " + digest + " from " + repository, r.statusCode(), body(r));
        }
        return r.body();
    }

    // ---- manifests ----

    /**
     * PUTs a manifest (or index) under {@code reference} (a tag or its digest) with {@code mediaType} as
     * Content-Type; returns its digest, checked against the one the registry reports.
     */
    public String pushManifest(String repository, String reference, String mediaType, byte[] manifest)
            throws IOException {
        String digest = Digests.of(manifest);
        HttpResponse<byte[]> r = send(repository, "PUT", path(repository, "manifests/" + reference),
                Map.of("Content-Type", mediaType), HttpRequest.BodyPublishers.ofByteArray(manifest));
        if (r.statusCode() != 201) {
            throw new RegistryException("PUT manifest " + repository + ":" + reference, r.statusCode(), body(r));
        }
        String got = r.headers().firstValue("Docker-Content-Digest").orElse(digest);
        if (!got.equals(digest)) {
            throw new IOException("registry computed " + got + " for manifest " + digest);
        }
        return digest;
    }

    /** A manifest as the registry serves it. */
    public record Manifest(String mediaType, String digest, byte[] body) {
        public JsonNode json() throws IOException {
            return ImageBuilder.JSON.readTree(body);
        }
    }

    /** GETs a manifest, accepting every OCI and Docker schema 2 manifest and index type. */
    public Manifest getManifest(String repository, String reference) throws IOException {
        String accept = String.join(", ", ImageBuilder.Format.OCI.manifestMediaType, ImageBuilder.Format.OCI.indexMediaType,
                ImageBuilder.Format.DOCKER.manifestMediaType, ImageBuilder.Format.DOCKER.indexMediaType);
        HttpResponse<byte[]> r = send(repository, "GET", path(repository, "manifests/" + reference),
                Map.of("Accept", accept), null);
        if (r.statusCode() != 200) {
            throw new RegistryException("GET manifest " + repository + ":" + reference, r.statusCode(), body(r));
        }
        return new Manifest(r.headers().firstValue("Content-Type").orElse(""),
                r.headers().firstValue("Docker-Content-Digest").orElse(Digests.of(r.body())), r.body());
    }

    // ---- raw access, for tests of auth ----

    /**
     * Sends one request to {@code /v2/…path} with the pusher's authentication flow; any status is
     * returned, none thrown.
     */
    public HttpResponse<byte[]> request(String method, String v2Path, Map<String, String> headers, byte[] body)
            throws IOException {
        String repository = repositoryOf(v2Path);
        return send(repository, method, base.resolve("/v2/" + v2Path), headers,
                body == null ? null : HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private static String repositoryOf(String v2Path) {
        for (String marker : List.of("/blobs/", "/manifests/", "/tags/")) {
            int i = v2Path.indexOf(marker);
            if (i > 0) {
                return v2Path.substring(0, i);
            }
        }
        return "";
    }

    private URI path(String repository, String rest) {
        return base.resolve("/v2/" + repository + "/" + rest);
    }

    private HttpResponse<byte[]> send(String repository, String method, URI uri, Map<String, String> headers,
            HttpRequest.BodyPublisher body) throws IOException {
        String key = repository == null ? "" : repository;
        String auth = authorizations.get(key);
        HttpResponse<byte[]> r = sendOnce(method, uri, headers, body, auth);
        if (r.statusCode() != 401) {
            return r;
        }
        Optional<String> challenge = r.headers().firstValue("WWW-Authenticate");
        if (challenge.isEmpty()) {
            return r;
        }
        String newAuth = answer(challenge.get(), repository);
        if (newAuth == null || newAuth.equals(auth)) {
            return r;
        }
        authorizations.put(key, newAuth);
        return sendOnce(method, uri, headers, body, newAuth);
    }

    private HttpResponse<byte[]> sendOnce(String method, URI uri, Map<String, String> headers,
            HttpRequest.BodyPublisher body, String authorization) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        headers.forEach(b::header);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + method + " " + uri, e);
        }
    }

    /** The Authorization value answering {@code challenge}, or null if there is none to give. */
    private String answer(String challenge, String repository) throws IOException {
        String scheme = challenge.strip().split("\\s+", 2)[0];
        if (scheme.equalsIgnoreCase("Basic")) {
            return user == null ? null : basic(user, password);
        }
        if (!scheme.equalsIgnoreCase("Bearer")) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            return null;
        }
        List<String> query = new ArrayList<>();
        if (params.containsKey("service")) {
            query.add("service=" + URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        String scope = params.get("scope");
        if (scope == null && repository != null && !repository.isEmpty()) {
            scope = "repository:" + repository + ":pull,push";
        } else if (scope != null && scope.startsWith("repository:") && scope.endsWith(":pull")) {
            // we are a pusher: ask once for what the following requests will need too
            scope = scope + ",push";
        }
        if (scope != null) {
            query.add("scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        URI tokenUri = URI.create(realm + (query.isEmpty() ? "" : (realm.contains("?") ? "&" : "?") + String.join("&", query)));
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofSeconds(30)).GET();
        if (user != null) {
            b.header("Authorization", basic(user, password));
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted fetching a token", e);
        }
        if (r.statusCode() != 200) {
            return null; // the caller returns the registry's 401
        }
        JsonNode json = ImageBuilder.JSON.readTree(r.body());
        JsonNode token = json.hasNonNull("token") ? json.get("token") : json.get("access_token");
        return token == null ? null : "Bearer " + token.asText();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String body(HttpResponse<byte[]> r) {
        return r.body() == null ? "" : new String(r.body(), StandardCharsets.UTF_8);
    }
}
