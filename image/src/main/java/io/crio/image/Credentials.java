package io.crio.image;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Registry credentials as the CRI's AuthConfig carries them: username/password (or the combined
 * {@code auth} field, base64 of {@code user:password}), an identity token (an OAuth2 refresh token) or a
 * registry token (a bearer token used as is).
 */
public record Credentials(String username, String password, String identityToken, String registryToken) {

    public static final Credentials NONE = new Credentials("", "", "", "");

    public Credentials {
        username = username == null ? "" : username;
        password = password == null ? "" : password;
        identityToken = identityToken == null ? "" : identityToken;
        registryToken = registryToken == null ? "" : registryToken;
    }

    /** Credentials from CRI AuthConfig fields; {@code auth} fills username/password when they are empty. */
    public static Credentials of(String username, String password, String auth, String identityToken, String registryToken) {
        String u = username;
        String p = password;
        if ((u == null || u.isEmpty()) && auth != null && !auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("auth is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("auth must encode username:password");
            }
            u = decoded.substring(0, colon);
            p = decoded.substring(colon + 1);
        }
        return new Credentials(u, p, identityToken, registryToken);
    }

    public boolean isEmpty() {
        return username.isEmpty() && password.isEmpty() && identityToken.isEmpty() && registryToken.isEmpty();
    }

    public boolean hasBasic() {
        return !username.isEmpty() || !password.isEmpty();
    }

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return isEmpty() ? "no credentials" : "credentials for " + (username.isEmpty() ? "(token)" : username);
    }
}
