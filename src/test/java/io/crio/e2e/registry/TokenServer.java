package io.crio.e2e.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A minimal Docker token server (the "token" auth of the distribution spec) on 127.0.0.1: {@code GET
 * /token?service=…&scope=…} with optional Basic credentials, and the OAuth2 form {@code POST /token}
 * ({@code grant_type=password}). It issues RS256 JWTs whose {@code x5c} header carries a self-signed
 * certificate; that certificate is the registry's {@code rootcertbundle}.
 *
 * <p>Valid credentials get every action they ask for; no credentials get only {@code pull}, and only
 * if anonymous pulls are allowed; wrong credentials get 401.
 */
public final class TokenServer implements AutoCloseable {

    public static final String SERVICE = "crio-e2e-registry";
    public static final String ISSUER = "crio-e2e-token-issuer";

    /** One token request as the server saw it. */
    public record TokenRequest(String method, String account, List<String> scopes, boolean granted) {
    }

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Path certBundle;
    private final String user;
    private final String password;
    private final boolean anonymousPull;
    private final List<TokenRequest> requests = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();

    private TokenServer(HttpServer server, PrivateKey key, X509Certificate cert, Path certBundle, String user,
            String password, boolean anonymousPull) {
        this.server = server;
        this.key = key;
        this.cert = cert;
        this.certBundle = certBundle;
        this.user = user;
        this.password = password;
        this.anonymousPull = anonymousPull;
    }

    /**
     * Starts a token server keeping its key and certificate in {@code dir}. {@code user} null means
     * no account exists (only anonymous pulls, if allowed).
     */
    public static TokenServer start(Path dir, String user, String password, boolean anonymousPull) throws IOException {
        Path keystore = dir.resolve("token-signer.p12");
        char[] pass = "crio-e2e".toCharArray();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "signer", "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA",
                "-dname", "CN=crio-e2e-token-signer", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", new String(pass), "-keypass", new String(pass))
                .redirectErrorStream(true).redirectOutput(dir.resolve("keytool.log").toFile());
        try {
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool failed: " + Files.readString(dir.resolve("keytool.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running keytool", e);
        }
        PrivateKey key;
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pass);
            key = (PrivateKey) ks.getKey("signer", pass);
            cert = (X509Certificate) ks.getCertificate("signer");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the token signing key", e);
        }
        Path bundle = dir.resolve("token-rootcertbundle.pem");
        try {
            Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        TokenServer ts = new TokenServer(http, key, cert, bundle, user, password, anonymousPull);
        http.createContext("/token", ts::handle);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        return ts;
    }

    /** The realm registries send clients to, e.g. {@code http://127.0.0.1:PORT/token}. */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certBundle() {
        return certBundle;
    }

    /** Every request so far, oldest first. */
    public List<TokenRequest> requests() {
        return List.copyOf(requests);
    }

    /**
     * Mints a token for {@code subject} granting {@code scopes} ({@code repository:NAME:ACTIONS}) exactly,
     * valid for {@code lifetimeSeconds} (negative: already expired), for tests that need a hand-made one.
     */
    public String issue(String subject, List<String> scopes, long lifetimeSeconds) {
        Instant now = Instant.now();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("typ", "JWT");
        header.put("alg", "RS256");
        try {
            header.put("x5c", List.of(Base64.getEncoder().encodeToString(cert.getEncoded())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", SERVICE);
        claims.put("exp", now.getEpochSecond() + lifetimeSeconds);
        claims.put("nbf", now.getEpochSecond() - 60);
        claims.put("iat", now.getEpochSecond());
        byte[] jti = new byte[16];
        random.nextBytes(jti);
        claims.put("jti", HexFormat.of().formatHex(jti));
        List<Object> access = new ArrayList<>();
        for (String scope : scopes) {
            Scope s = Scope.parse(scope);
            if (s != null) {
                access.add(Map.of("type", s.type, "name", s.name, "actions", s.actions));
            }
        }
        claims.put("access", access);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(ImageBuilder.json(header)) + "." + b64.encodeToString(ImageBuilder.json(claims));
        try {
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initSign(key);
            sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + b64.encodeToString(sig.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Scope(String type, String name, List<String> actions) {
        /** {@code type:name:actions}; a name may itself contain ':' (a registry host with a port). */
        static Scope parse(String scope) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last == first) {
                return null;
            }
            return new Scope(scope.substring(0, first), scope.substring(first + 1, last),
                    List.of(scope.substring(last + 1).split(",")));
        }

        String withActions(List<String> granted) {
            return type + ":" + name + ":" + String.join(",", granted);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, List<String>> params = new LinkedHashMap<>();
            parseForm(ex.getRequestURI().getRawQuery(), params);
            String account = null;
            String secret = null;
            boolean hasCredentials = false;
            if ("POST".equals(ex.getRequestMethod())) {
                parseForm(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
                if ("password".equals(first(params, "grant_type"))) {
                    account = first(params, "username");
                    secret = first(params, "password");
                    hasCredentials = true;
                }
            }
            String authz = ex.getRequestHeaders().getFirst("Authorization");
            if (authz != null && authz.regionMatches(true, 0, "Basic ", 0, 6)) {
                String decoded = new String(Base64.getDecoder().decode(authz.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                account = colon < 0 ? decoded : decoded.substring(0, colon);
                secret = colon < 0 ? "" : decoded.substring(colon + 1);
                hasCredentials = true;
            }
            List<String> scopes = new ArrayList<>();
            for (String s : params.getOrDefault("scope", List.of())) {
                scopes.addAll(List.of(s.split(" ")));
            }
            boolean valid = hasCredentials && user != null && user.equals(account) && password.equals(secret);
            if ((hasCredentials && !valid) || (!hasCredentials && !anonymousPull)) {
                requests.add(new TokenRequest(ex.getRequestMethod(), account, scopes, false));
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"" + realm() + "\"");
                reply(ex, 401, Map.of("errors", List.of(Map.of("code", "UNAUTHORIZED",
                        "message", hasCredentials ? "wrong user name or password" : "authentication required"))));
                return;
            }
            List<String> granted = new ArrayList<>();
            for (String s : scopes) {
                Scope scope = Scope.parse(s);
                if (scope == null) {
                    continue;
                }
                List<String> actions = valid ? scope.actions : scope.actions.stream().filter("pull"::equals).toList();
                if (!actions.isEmpty()) {
                    granted.add(scope.withActions(actions));
                }
            }
            requests.add(new TokenRequest(ex.getRequestMethod(), account, scopes, true));
            String token = issue(valid ? account : "", granted, 3600);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("token", token);
            body.put("access_token", token);
            body.put("expires_in", 3600);
            body.put("issued_at", Instant.now().toString());
            reply(ex, 200, body);
        }
    }

    private static void reply(HttpExchange ex, int status, Object json) throws IOException {
        byte[] bytes = ImageBuilder.json(json);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void parseForm(String raw, Map<String, List<String>> into) {
        if (raw == null || raw.isEmpty()) {
            return;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> v = params.get(key);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
