package io.crio.storage.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Applies one image layer, an uncompressed tar stream, to an overlay {@code diff} directory, as
 * containers/storage does for its overlay driver: streaming (no temporary tarball), whiteouts turned into
 * overlay's form.
 *
 * <ul>
 *   <li>Regular files, directories, symbolic links, hard links, character and block devices and fifos;
 *       PAX and GNU long names.</li>
 *   <li>Numeric owner and group from the header ({@code lchown} semantics), all mode bits including setuid,
 *       setgid and sticky, access and modification times with nanoseconds (a symbolic link's own times), and
 *       {@code SCHILY.xattr.*} extended attributes byte for byte. A directory's mode, owner, attributes and
 *       times are applied after the whole layer is written, so a read-only directory does not block its
 *       children and its times are not disturbed by them.</li>
 *   <li>{@code .wh.NAME} removes {@code NAME} and leaves an overlay whiteout, a character device 0/0;
 *       {@code .wh..wh..opq} marks its directory opaque ({@code trusted.overlay.opaque=y}). AUFS metadata
 *       ({@code .wh..wh.*}) is skipped. {@code trusted.overlay.*} attributes in headers are ignored.</li>
 *   <li>An entry replacing an existing path removes it first (a directory with everything in it), except a
 *       directory over a directory, which merges.</li>
 * </ul>
 *
 * <p>Nothing outside {@code diffDir} is ever created or changed: names are cleaned (a leading {@code /} is
 * dropped, {@code ..} may not climb above the root), every directory on the way is opened with
 * {@code O_NOFOLLOW} so a symbolic link planted by an earlier entry is refused rather than followed, hard
 * links must point at an earlier entry inside the layer, and nothing is ever done through a final symbolic
 * link. Symbolic link targets themselves are content and may point anywhere. Refusals are
 * {@link UnsafeLayerException}s naming the entry. On any failure the layer directory is left half-written;
 * the caller removes it.
 */
public final class LayerUnpacker {

    private LayerUnpacker() {}

    /**
     * Unpacks {@code uncompressedTar} into {@code diffDir} (created if missing). The stream is read to its
     * end, past the tar's end-of-archive records, so a digesting stream underneath sees every byte; it is
     * not closed.
     *
     * <p>{@code diffDir} itself is trusted (it may sit below a symbolic link of the host's configuration);
     * everything below it comes from the layer and is not. No one else may write {@code diffDir} while it
     * is unpacked. One call runs on one thread; separate layers may be unpacked in parallel.
     *
     * @throws UnsafeLayerException if an entry tries to reach outside {@code diffDir}
     * @throws IOException          on a malformed or truncated archive, an unsupported entry type, or a
     *                              failing file system call (the message names the entry and the call)
     */
    public static UnpackStats unpack(InputStream uncompressedTar, Path diffDir) throws IOException {
        Objects.requireNonNull(uncompressedTar, "uncompressedTar");
        Objects.requireNonNull(diffDir, "diffDir");
        Files.createDirectories(diffDir);
        try (Unpacking unpacking = new Unpacking(diffDir.toAbsolutePath())) {
            return unpacking.run(uncompressedTar);
        }
    }
}
