package io.crio.storage.unpack;

/**
 * What one {@link LayerUnpacker#unpack} did.
 *
 * @param entries tar entries applied (files, directories, links, devices, whiteouts; not the PAX or GNU
 *                long-name records that belong to them)
 * @param bytes   bytes of regular-file content written
 */
public record UnpackStats(long entries, long bytes) {}
