package io.crio.storage;

import java.time.Instant;
import java.util.List;

/**
 * A container in the store, as containers/storage records it in {@code overlay-containers/containers.json}:
 * its writable layer on top of its image's layers, its names and the caller's metadata (opaque JSON text).
 */
public record ContainerRecord(String id, List<String> names, String image, String layer, String metadata, Instant created) {

    public ContainerRecord {
        names = List.copyOf(names);
    }
}
