package io.crio.daemon.container;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Values derived from a stored image, kept by image ID. The ID is the digest of the image's configuration,
 * which names its layers, so an entry never goes stale; the map is emptied when it reaches {@link #MAX}.
 */
final class PerImage<V> {

    static final int MAX = 256;

    private final ConcurrentHashMap<String, V> byImage = new ConcurrentHashMap<>();

    Optional<V> get(String imageId) {
        return Optional.ofNullable(byImage.get(imageId));
    }

    /** Keeps {@code value} for the image and returns it. */
    V put(String imageId, V value) {
        if (byImage.size() >= MAX) {
            byImage.clear();
        }
        byImage.put(imageId, value);
        return value;
    }
}
