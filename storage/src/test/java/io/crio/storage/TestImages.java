package io.crio.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Builds small layers and images for the tests. */
final class TestImages {

    private TestImages() {}

    /** A layer's files in a diff directory plus the digest and size of the equivalent tar. */
    record Layer(String diffDigest, long size) {}

    /** Writes one file into {@code diff} and returns the digest of the tar holding just that file. */
    static Layer writeFileLayer(Path diff, String name, String content) throws IOException {
        Path f = diff.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        return fileLayer(name, content);
    }

    /** The digest and size of a tar holding one file. */
    static Layer fileLayer(String name, String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(bytes.length);
            e.setMode(0100644);
            tar.putArchiveEntry(e);
            tar.write(bytes);
            tar.closeArchiveEntry();
        }
        byte[] tar = out.toByteArray();
        return new Layer(Ids.sha256Digest(tar), tar.length);
    }

    /** Writes busybox as {@code diff/bin/busybox} and {@code diff/bin/sh → busybox}. */
    static void writeBusyboxFiles(Path diff) throws IOException {
        Path bin = Files.createDirectories(diff.resolve("bin"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        Files.setPosixFilePermissions(bin.resolve("busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
    }

    /** The digest and size of the tar holding the same files as {@link #writeBusyboxFiles}. */
    static Layer busyboxLayer() throws IOException {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry dir = new TarArchiveEntry("bin/");
            dir.setMode(040755);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            TarArchiveEntry file = new TarArchiveEntry("bin/busybox");
            file.setMode(0100755);
            file.setSize(busybox.length);
            tar.putArchiveEntry(file);
            tar.write(busybox);
            tar.closeArchiveEntry();
            TarArchiveEntry link = new TarArchiveEntry("bin/sh", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("busybox");
            link.setMode(0120777);
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        byte[] tar = out.toByteArray();
        return new Layer(Ids.sha256Digest(tar), tar.length);
    }

    /** An OCI config and manifest for layers with these diff IDs, as big-data items keyed as containers/image keys them. */
    record Image(String id, String manifestDigest, Map<String, byte[]> bigData) {}

    static Image image(List<Layer> layers, String cmd) {
        StringBuilder diffIds = new StringBuilder();
        StringBuilder descriptors = new StringBuilder();
        for (Layer l : layers) {
            if (!diffIds.isEmpty()) {
                diffIds.append(',');
                descriptors.append(',');
            }
            diffIds.append('"').append(l.diffDigest()).append('"');
            descriptors.append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"")
                    .append(l.diffDigest()).append("\",\"size\":").append(l.size()).append('}');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"" + cmd
                + "\"],\"Env\":[\"PATH=/bin\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        String configDigest = Ids.sha256Digest(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[" + descriptors + "]}").getBytes(StandardCharsets.UTF_8);
        String manifestDigest = Ids.sha256Digest(manifest);
        Map<String, byte[]> bigData = new LinkedHashMap<>();
        bigData.put(configDigest, config);
        bigData.put("manifest-" + manifestDigest, manifest);
        bigData.put("manifest", manifest);
        return new Image(configDigest.substring("sha256:".length()), manifestDigest, bigData);
    }

    /** Begins, fills and commits a one-file layer on {@code parent}. */
    static LayerInfo commitFileLayer(ContainersStore store, String parent, String name, String content) throws IOException {
        Layer l = fileLayer(name, content);
        String id = ContainersStore.layerId(parent, l.diffDigest());
        try (PendingLayer p = store.beginLayer(id, parent)) {
            writeFileLayer(p.diffDir(), name, content);
            return p.commit(l.diffDigest(), l.size(), l.diffDigest(), l.size());
        }
    }

    static Layer layerOf(LayerInfo info) {
        return new Layer(info.diffDigest(), info.diffSize());
    }

    static ImageRecord putImage(ContainersStore store, List<Layer> layers, String top, String name) throws IOException {
        Image img = image(layers, "/bin/sh");
        return store.putImage(img.id(), top, List.of(name), List.of(img.manifestDigest()), img.bigData(), Instant.now());
    }
}
