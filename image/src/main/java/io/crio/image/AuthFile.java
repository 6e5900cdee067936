package io.crio.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A credentials file in the containers-auth.json / Docker config.json format: {@code {"auths": {"<registry>
 * or <registry>/<repository>": {"auth": base64(user:password)}}}}. The most specific entry wins.
 */
public final class AuthFile {

    private AuthFile() {}

    /** Credentials for {@code ref} from {@code file}, or none when the file or an entry is missing. */
    public static Credentials lookup(Path file, ImageReference ref) throws IOException {
        if (file == null || !Files.isRegularFile(file)) {
            return Credentials.NONE;
        }
        JsonNode auths = Manifest.JSON.readTree(file.toFile()).path("auths");
        String best = null;
        JsonNode bestNode = null;
        Iterator<Map.Entry<String, JsonNode>> it = auths.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = normalise(e.getKey());
            String full = ref.name();
            boolean matches = key.equals(ref.registry()) || full.equals(key) || full.startsWith(key + "/")
                    || (ref.registry().equals("docker.io") && key.equals("index.docker.io"));
            if (matches && (best == null || key.length() > best.length())) {
                best = key;
                bestNode = e.getValue();
            }
        }
        if (bestNode == null) {
            return Credentials.NONE;
        }
        try {
            return Credentials.of(bestNode.path("username").asText(""), bestNode.path("password").asText(""),
                    bestNode.path("auth").asText(""), bestNode.path("identitytoken").asText(""),
                    bestNode.path("registrytoken").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": entry " + best + ": " + e.getMessage());
        }
    }

    private static String normalise(String key) {
        String k = key.replaceFirst("^https?://", "");
        if (k.endsWith("/v1/") || k.endsWith("/v2/")) {
            k = k.substring(0, k.length() - 4);
        }
        while (k.endsWith("/")) {
            k = k.substring(0, k.length() - 1);
        }
        return k;
    }
}
