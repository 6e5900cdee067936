package io.crio.storage;

import java.time.Instant;
import java.util.List;

/**
 * An image of the store, as recorded in {@code overlay-images/images.json}.
 *
 * @param id           64 hex characters: the hex of the image config's digest
 * @param names        the image's names (e.g. {@code docker.io/library/busybox:latest}, {@code repo@sha256:…})
 * @param digest       the image's main manifest digest, or null
 * @param digests      every manifest digest the image can be found by ({@code digest} first)
 * @param topLayer     the ID of the image's top layer, or null for an image without layers
 * @param created      the image's creation time
 * @param bigDataNames the keys of the image's big-data items (manifests, config, signatures)
 */
public record ImageRecord(String id, List<String> names, String digest, List<String> digests, String topLayer,
                          Instant created, List<String> bigDataNames) {
    public ImageRecord {
        names = List.copyOf(names);
        digests = List.copyOf(digests);
        bigDataNames = List.copyOf(bigDataNames);
    }
}
