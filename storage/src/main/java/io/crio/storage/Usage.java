package io.crio.storage;

import java.nio.file.Path;

/**
 * Space used by the image store.
 *
 * @param bytes      sum of the apparent sizes of the files and directories (hard links counted once)
 * @param inodes     number of distinct inodes
 * @param mountpoint the directory the figures describe (the image store's directory)
 */
public record Usage(long bytes, long inodes, Path mountpoint) {}
