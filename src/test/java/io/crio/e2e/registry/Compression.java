package io.crio.e2e.registry;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;

/** How a layer tar is compressed, with the media types that name it. */
public enum Compression {
    NONE("application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar"),
    GZIP("application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    ZSTD("application/vnd.oci.image.layer.v1.tar+zstd", null);

    private final String ociMediaType;
    private final String dockerMediaType;

    Compression(String ociMediaType, String dockerMediaType) {
        this.ociMediaType = ociMediaType;
        this.dockerMediaType = dockerMediaType;
    }

    public String mediaType(ImageBuilder.Format format) {
        String type = format == ImageBuilder.Format.OCI ? ociMediaType : dockerMediaType;
        if (type == null) {
            throw new IllegalArgumentException(this + " layers have no " + format + " media type");
        }
        return type;
    }

    /** Wraps {@code out}; {@code fast} trades ratio for speed (used for the large incompressible layers). */
    OutputStream wrap(OutputStream out, boolean fast) throws IOException {
        return switch (this) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, 1 << 16) {
                {
                    def.setLevel(fast ? 1 : 6);
                }
            };
            case ZSTD -> new ZstdOutputStream(out, fast ? 1 : 3);
        };
    }
}
