package io.crio.e2e.registry;

import java.util.List;

/**
 * What a fixture pushed.
 *
 * @param repository          e.g. {@code "e2e/busybox"}
 * @param tag                 the tag the manifest (or index) was pushed under; null if pushed by digest
 * @param manifestDigest      sha256 of the exact manifest (or index) bytes pushed
 * @param configDigest        sha256 of the config blob: the image ID (for an index: the first platform's)
 * @param diffIds             the config's {@code rootfs.diff_ids} (as written, even when deliberately wrong)
 * @param totalCompressedSize sum of the layer blobs' sizes as pushed (config and manifest not included)
 * @param layerDigests        the manifest's layer descriptors' digests, in order
 */
public record PushedImage(String repository, String tag, String manifestDigest, String configDigest,
        List<String> diffIds, long totalCompressedSize, List<String> layerDigests) {

    public PushedImage {
        diffIds = List.copyOf(diffIds);
        layerDigests = List.copyOf(layerDigests);
    }

    /** The image ID as CRI reports it: the config digest's hex. */
    public String imageId() {
        return Digests.hex(configDigest);
    }

    /** {@code registry/repository:tag}, e.g. {@code 127.0.0.1:5000/e2e/busybox:latest}. */
    public String reference(String registry) {
        return registry + "/" + repository + ":" + tag;
    }

    /** {@code registry/repository@sha256:…}. */
    public String digestReference(String registry) {
        return registry + "/" + repository + "@" + manifestDigest;
    }
}
