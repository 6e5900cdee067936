package io.crio.e2e.registry;

/**
 * One built layer: the compressed blob pushed to the registry, the sha256 of the uncompressed tar
 * ({@code diffId}, what an image config's {@code rootfs.diff_ids} lists) and its size.
 */
public record Layer(Blob blob, Compression compression, String diffId, long uncompressedSize) {
}
