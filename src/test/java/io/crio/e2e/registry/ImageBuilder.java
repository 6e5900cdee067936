package io.crio.e2e.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Assembles an image (config + manifest) from built layers, in OCI or Docker schema 2 form, and pushes
 * it: layers, config, then the manifest. Also assembles image indexes / manifest lists.
 *
 * <pre>{@code
 * PushedImage img = ImageBuilder.oci()
 *         .layer(FixtureImages.baseLayer())
 *         .entrypoint("/bin/sh", "-c").cmd("sleep 3600").user("1000").label("a", "b")
 *         .push(pusher, "e2e/custom", "v1");
 * }</pre>
 */
public final class ImageBuilder {

    public enum Format {
        OCI("application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.index.v1+json"),
        DOCKER("application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json");

        public final String manifestMediaType;
        public final String configMediaType;
        public final String indexMediaType;

        Format(String manifestMediaType, String configMediaType, String indexMediaType) {
            this.manifestMediaType = manifestMediaType;
            this.configMediaType = configMediaType;
            this.indexMediaType = indexMediaType;
        }
    }

    /** A platform as an index lists it. */
    public record Platform(String os, String architecture, String variant) {
        public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);
        public static final Platform LINUX_ARM64 = new Platform("linux", "arm64", "v8");
        public static final Platform LINUX_S390X = new Platform("linux", "s390x", null);

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("architecture", architecture);
            m.put("os", os);
            if (variant != null) {
                m.put("variant", variant);
            }
            return m;
        }
    }

    /** An image ready to push: the exact config and manifest bytes and the layers they name. */
    public record BuiltImage(Format format, Platform platform, List<Layer> layers, Blob config, byte[] manifest,
            List<String> diffIds) {

        public String manifestDigest() {
            return Digests.of(manifest);
        }

        public long totalCompressedSize() {
            return layers.stream().mapToLong(l -> l.blob().size()).sum();
        }

        /** Pushes layers, config and manifest; {@code tag} null pushes the manifest by digest only. */
        public PushedImage push(RegistryPusher pusher, String repository, String tag) throws IOException {
            for (Layer layer : layers) {
                pusher.pushBlob(repository, layer.blob());
            }
            pusher.pushBlob(repository, config);
            String digest = pusher.pushManifest(repository, tag != null ? tag : manifestDigest(),
                    format.manifestMediaType, manifest);
            return new PushedImage(repository, tag, digest, config.digest(), diffIds, totalCompressedSize(),
                    layers.stream().map(l -> l.blob().digest()).toList());
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    private final Format format;
    private final List<Layer> layers = new ArrayList<>();
    private Platform platform = Platform.LINUX_AMD64;
    private List<String> entrypoint;
    private List<String> cmd = List.of("/bin/sh");
    private final List<String> env = new ArrayList<>(
            List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    private String user = "";
    private String workingDir;
    private String stopSignal;
    private final Map<String, String> labels = new TreeMap<>();
    private final List<String> exposedPorts = new ArrayList<>();
    private final List<String> volumes = new ArrayList<>();
    private List<String> diffIdsOverride;

    private ImageBuilder(Format format) {
        this.format = format;
    }

    public static ImageBuilder oci() {
        return new ImageBuilder(Format.OCI);
    }

    public static ImageBuilder docker() {
        return new ImageBuilder(Format.DOCKER);
    }

    public static ImageBuilder of(Format format) {
        return new ImageBuilder(format);
    }

    public ImageBuilder layer(Layer layer) {
        layers.add(layer);
        return this;
    }

    public ImageBuilder platform(Platform platform) {
        this.platform = Objects.requireNonNull(platform);
        return this;
    }

    public ImageBuilder entrypoint(String... args) {
        this.entrypoint = args == null ? null : List.of(args);
        return this;
    }

    /** {@code cmd()} with no arguments removes Cmd. */
    public ImageBuilder cmd(String... args) {
        this.cmd = args.length == 0 ? null : List.of(args);
        return this;
    }

    public ImageBuilder env(String keyValue) {
        env.add(keyValue);
        return this;
    }

    public ImageBuilder user(String user) {
        this.user = user;
        return this;
    }

    public ImageBuilder workingDir(String dir) {
        this.workingDir = dir;
        return this;
    }

    public ImageBuilder stopSignal(String signal) {
        this.stopSignal = signal;
        return this;
    }

    public ImageBuilder label(String key, String value) {
        labels.put(key, value);
        return this;
    }

    /** e.g. {@code "8080/tcp"}. */
    public ImageBuilder exposedPort(String port) {
        exposedPorts.add(port);
        return this;
    }

    public ImageBuilder volume(String path) {
        volumes.add(path);
        return this;
    }

    /** Writes these diff_ids into the config instead of the layers' real ones (bad-digest fixtures). */
    public ImageBuilder diffIdsOverride(List<String> diffIds) {
        this.diffIdsOverride = List.copyOf(diffIds);
        return this;
    }

    public BuiltImage build() {
        List<String> diffIds = diffIdsOverride != null ? diffIdsOverride : layers.stream().map(Layer::diffId).toList();
        Blob config = Blob.of(json(configJson(diffIds)));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", format.manifestMediaType);
        manifest.put("config", descriptor(format.configMediaType, config.digest(), config.size()));
        List<Object> layerDescriptors = new ArrayList<>();
        for (Layer l : layers) {
            layerDescriptors.add(descriptor(l.compression().mediaType(format), l.blob().digest(), l.blob().size()));
        }
        manifest.put("layers", layerDescriptors);
        return new BuiltImage(format, platform, List.copyOf(layers), config, json(manifest), diffIds);
    }

    public PushedImage push(RegistryPusher pusher, String repository, String tag) throws IOException {
        return build().push(pusher, repository, tag);
    }

    private Map<String, Object> configJson(List<String> diffIds) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (!user.isEmpty() || format == Format.OCI) {
            c.put("User", user);
        }
        if (!exposedPorts.isEmpty()) {
            Map<String, Object> ports = new LinkedHashMap<>();
            exposedPorts.forEach(p -> ports.put(p, Map.of()));
            c.put("ExposedPorts", ports);
        }
        c.put("Env", List.copyOf(env));
        if (entrypoint != null) {
            c.put("Entrypoint", entrypoint);
        }
        if (cmd != null) {
            c.put("Cmd", cmd);
        }
        if (!volumes.isEmpty()) {
            Map<String, Object> v = new LinkedHashMap<>();
            volumes.forEach(p -> v.put(p, Map.of()));
            c.put("Volumes", v);
        }
        if (workingDir != null) {
            c.put("WorkingDir", workingDir);
        }
        if (!labels.isEmpty()) {
            c.put("Labels", new LinkedHashMap<>(labels));
        }
        if (stopSignal != null) {
            c.put("StopSignal", stopSignal);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("created", TarLayerBuilder.MTIME.toString());
        root.put("architecture", platform.architecture());
        if (platform.variant() != null) {
            root.put("variant", platform.variant());
        }
        root.put("os", platform.os());
        root.put("config", c);
        root.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
        List<Object> history = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            history.add(Map.of("created", TarLayerBuilder.MTIME.toString(), "created_by",
                    "crio e2e fixture layer " + (i + 1)));
        }
        root.put("history", history);
        return root;
    }

    static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Pushes each image by digest, then an index (OCI) or manifest list (Docker) naming them under
     * {@code tag}. Returns the index as a {@link PushedImage} whose config, diff_ids and layers are those
     * of the first image.
     */
    public static PushedImage pushIndex(RegistryPusher pusher, String repository, String tag, Format format,
            List<BuiltImage> images) throws IOException {
        List<Object> manifests = new ArrayList<>();
        for (BuiltImage image : images) {
            if (image.format() != format) {
                throw new IllegalArgumentException("an index of " + format + " holds only " + format + " manifests");
            }
            image.push(pusher, repository, null);
            Map<String, Object> d = descriptor(format.manifestMediaType, image.manifestDigest(), image.manifest().length);
            d.put("platform", image.platform().toJson());
            manifests.add(d);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", format.indexMediaType);
        index.put("manifests", manifests);
        String digest = pusher.pushManifest(repository, tag, format.indexMediaType, json(index));
        BuiltImage first = images.getFirst();
        return new PushedImage(repository, tag, digest, first.config().digest(), first.diffIds(),
                first.totalCompressedSize(), first.layers().stream().map(l -> l.blob().digest()).toList());
    }
}
