package io.crio.storage;

import java.time.Instant;

/**
 * A complete layer of the store, as recorded in {@code overlay-layers/layers.json}.
 *
 * @param id               64 hex characters; see {@link ContainersStore#layerId(String, String)}
 * @param parent           the parent layer's ID, or null for a base layer
 * @param diffDigest       digest of the uncompressed layer tar ({@code sha256:…}, the image config's diff ID)
 * @param diffSize         length of the uncompressed layer tar
 * @param compressedDigest digest of the blob as it was fetched, or null when unknown
 * @param compressedSize   length of that blob (0 when unknown)
 * @param created          when the layer was created in this store
 */
public record LayerInfo(String id, String parent, String diffDigest, long diffSize, String compressedDigest,
                        long compressedSize, Instant created) {}
