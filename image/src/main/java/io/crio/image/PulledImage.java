package io.crio.image;

/**
 * The outcome of a pull: the stored image's ID (the config digest's hex), the reference it was pulled
 * as, and the manifest digest.
 */
public record PulledImage(String id, ImageReference reference, Digest manifestDigest) {}
