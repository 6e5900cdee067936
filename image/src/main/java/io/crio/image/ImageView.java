package io.crio.image;

import java.util.List;
import java.util.Map;

/**
 * What the CRI reports about a stored image.
 *
 * @param id the image ID (config digest hex)
 * @param repoTags its {@code repository:tag} names
 * @param repoDigests its {@code repository@digest} names
 * @param size bytes of its layers
 * @param uid the numeric user of the image config, or null
 * @param username the named user of the image config, or empty
 * @param configJson the image config (for verbose status)
 * @param labels the config's labels
 */
public record ImageView(String id, List<String> repoTags, List<String> repoDigests, long size, Long uid, String username,
                        byte[] configJson, Map<String, String> labels) {

    /** CRI-O's rule: a numeric {@code User} (before any {@code :group}) is a uid, anything else a user name. */
    static Object[] user(String user) {
        if (user == null || user.isEmpty()) {
            return new Object[] {null, ""};
        }
        String u = user.split(":", 2)[0];
        try {
            return new Object[] {Long.parseLong(u), ""};
        } catch (NumberFormatException e) {
            return new Object[] {null, u};
        }
    }
}
