package io.crio.e2e.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fixture images built from Debian's busybox-static ({@code /bin/busybox}) and pushed with a
 * {@link RegistryPusher}. Content is deterministic (fixed mtimes, seeded random data), so a fixture has
 * the same digests on every run; only {@link #malicious} varies (its host marker names are unique).
 *
 * <p>The base root filesystem of the runnable fixtures: {@code /bin/busybox} (0755, root),
 * {@code /bin/sh → busybox}, {@code /etc/passwd} with root and {@code app} (1000:1000, home
 * {@code /home/app}), {@code /etc/group}, and the directories {@code /dev /etc /home/app /proc /root
 * /sys /tmp (1777) /usr/bin /var}. Config: {@code Cmd ["/bin/sh"]}, {@code Env [PATH=…]}.
 */
public final class FixtureImages {

    public static final Path BUSYBOX = Path.of("/bin/busybox");

    public static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            app:x:1000:1000::/home/app:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/bin/false
            """;
    public static final String GROUP = """
            root:x:0:
            app:x:1000:
            nogroup:x:65534:
            """;

    /** Files of {@link #multiLayer}'s final view (after all layers), with their content ("" for non-files). */
    public static final Map<String, String> MULTI_LAYER_FILES;
    /** Paths {@link #multiLayer}'s lower layers create and its upper layers delete. */
    public static final Set<String> MULTI_LAYER_ABSENT = Set.of("/del", "/opq/old1", "/opq/old2", "/a/x", "/a/x/inner");
    /** Symlinks of {@link #multiLayer}'s final view and their targets. */
    public static final Map<String, String> MULTI_LAYER_SYMLINKS = Map.of(
            "/bin/sh", "busybox", "/link-to-new", "opq/new", "/a/abs-link", "/layer3.txt");
    /** In {@link #multiLayer}, {@code /bin/hl} is a hard link to {@code /bin/busybox} (same layer). */
    public static final Map<String, String> MULTI_LAYER_HARDLINKS = Map.of("/bin/hl", "/bin/busybox");

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("/a/y/keep", "kept from layer 1\n");
        m.put("/opq/new", "new in layer 2\n");
        m.put("/layer2.txt", "layer 2\n");
        m.put("/layer3.txt", "layer 3\n");
        m.put("/a/y/new3", "added by layer 3\n");
        m.put("/etc/passwd", PASSWD);
        MULTI_LAYER_FILES = Map.copyOf(m);
    }

    private static final Map<Compression, Layer> BASE_LAYERS = new ConcurrentHashMap<>();
    private static volatile byte[] busybox;
    private static final SecureRandom RANDOM = new SecureRandom();

    private FixtureImages() {
    }

    static byte[] busybox() {
        byte[] b = busybox;
        if (b == null) {
            try {
                b = Files.readAllBytes(BUSYBOX);
            } catch (IOException e) {
                throw new UncheckedIOException(BUSYBOX + " is missing: install Debian's busybox-static", e);
            }
            busybox = b;
        }
        return b;
    }

    /** Adds the base root filesystem's entries (see the class comment). */
    public static TarLayerBuilder addBaseRootfs(TarLayerBuilder t) {
        return t.dir("bin").file("bin/busybox", busybox(), 0755).symlink("bin/sh", "busybox")
                .dir("dev").dir("etc").file("etc/passwd", PASSWD).file("etc/group", GROUP)
                .dir("home").dir("home/app", 0755, 1000, 1000)
                .dir("proc").dir("root", 0700, 0, 0).dir("sys").dir("tmp", 01777, 0, 0)
                .dir("usr").dir("usr/bin").dir("var");
    }

    /** The base root filesystem as one layer (built once per compression). */
    public static Layer baseLayer(Compression compression) {
        return BASE_LAYERS.computeIfAbsent(compression, c -> {
            try {
                return addBaseRootfs(TarLayerBuilder.create()).build(c);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static Layer baseLayer() {
        return baseLayer(Compression.GZIP);
    }

    /** OCI manifest, one gzip layer with the base root filesystem; User "". */
    public static PushedImage singleLayer(RegistryPusher pusher, String repository, String tag) throws IOException {
        return ImageBuilder.oci().layer(baseLayer()).push(pusher, repository, tag);
    }

    /**
     * A pause image for pod infra containers: the base root filesystem plus {@code /pause}, a shell script
     * that sleeps until SIGTERM or SIGINT and then exits 0.
     */
    public static PushedImage pause(RegistryPusher pusher, String repository, String tag) throws IOException {
        String script = "#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile :; do sleep 3600 & wait $!; done\n";
        Layer layer = addBaseRootfs(TarLayerBuilder.create()).file("pause", script.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0755)
                .build(Compression.GZIP);
        return ImageBuilder.oci().layer(layer).entrypoint("/pause").push(pusher, repository, tag);
    }

    /** The same content as Docker schema 2 (docker media types); config User "1000". */
    public static PushedImage dockerSchema2(RegistryPusher pusher, String repository, String tag) throws IOException {
        return ImageBuilder.docker().layer(baseLayer()).user("1000").push(pusher, repository, tag);
    }

    /**
     * Three gzip layers exercising whiteouts, opaque directories, links and replacement:
     * <ol>
     * <li>the base root filesystem + {@code /a/x/inner}, {@code /a/y/keep}, {@code /opq/old1},
     *     {@code /opq/old2}, {@code /del};</li>
     * <li>{@code .wh.del}, {@code a/.wh.x} (a whited-out directory), {@code opq/} made opaque with
     *     {@code opq/new}, {@code bin/busybox} again with {@code bin/hl} hard-linked to it,
     *     {@code link-to-new → opq/new}, {@code layer2.txt};</li>
     * <li>{@code layer3.txt}, {@code a/y/new3}, {@code a/abs-link → /layer3.txt}.</li>
     * </ol>
     * The expected final view is in {@link #MULTI_LAYER_FILES}, {@link #MULTI_LAYER_ABSENT},
     * {@link #MULTI_LAYER_SYMLINKS} and {@link #MULTI_LAYER_HARDLINKS}.
     */
    public static PushedImage multiLayer(RegistryPusher pusher, String repository, String tag) throws IOException {
        Layer l1 = addBaseRootfs(TarLayerBuilder.create())
                .dir("a").dir("a/x").file("a/x/inner", "inner\n").dir("a/y").file("a/y/keep", "kept from layer 1\n")
                .dir("opq").file("opq/old1", "old 1\n").file("opq/old2", "old 2\n")
                .file("del", "to be deleted\n")
                .build(Compression.GZIP);
        Layer l2 = TarLayerBuilder.create()
                .whiteout("del")
                .dir("a").whiteout("a/x")
                .dir("opq").opaque("opq").file("opq/new", "new in layer 2\n")
                .dir("bin").file("bin/busybox", busybox(), 0755).hardlink("bin/hl", "bin/busybox")
                .symlink("link-to-new", "opq/new")
                .file("layer2.txt", "layer 2\n")
                .build(Compression.GZIP);
        Layer l3 = TarLayerBuilder.create()
                .file("layer3.txt", "layer 3\n")
                .dir("a").dir("a/y").file("a/y/new3", "added by layer 3\n")
                .symlink("a/abs-link", "/layer3.txt")
                .build(Compression.GZIP);
        return ImageBuilder.oci().layer(l1).layer(l2).layer(l3).push(pusher, repository, tag);
    }

    /**
     * An OCI index under {@code tag} with linux/amd64 (= {@link #singleLayer}'s manifest) and
     * linux/arm64/v8 (same layer, config says arm64). The returned config, diff_ids and layers are
     * amd64's; {@code manifestDigest} is the index's.
     */
    public static PushedImage index(RegistryPusher pusher, String repository, String tag) throws IOException {
        return ImageBuilder.pushIndex(pusher, repository, tag, ImageBuilder.Format.OCI, List.of(
                ImageBuilder.oci().layer(baseLayer()).build(),
                ImageBuilder.oci().layer(baseLayer()).platform(ImageBuilder.Platform.LINUX_ARM64).build()));
    }

    /** The amd64 manifest's digest inside {@link #index}: the same as {@link #singleLayer}'s. */
    public static String indexAmd64ManifestDigest() {
        return ImageBuilder.oci().layer(baseLayer()).build().manifestDigest();
    }

    /** As {@link #index}, but a Docker manifest list of Docker schema 2 manifests. */
    public static PushedImage dockerManifestList(RegistryPusher pusher, String repository, String tag)
            throws IOException {
        return ImageBuilder.pushIndex(pusher, repository, tag, ImageBuilder.Format.DOCKER, List.of(
                ImageBuilder.docker().layer(baseLayer()).build(),
                ImageBuilder.docker().layer(baseLayer()).platform(ImageBuilder.Platform.LINUX_ARM64).build()));
    }

    /**
     * An OCI index with only linux/arm64/v8 and linux/s390x: pulling it on amd64 must fail. The returned
     * config, diff_ids and layers are arm64's.
     */
    public static PushedImage indexWithoutAmd64(RegistryPusher pusher, String repository, String tag)
            throws IOException {
        return ImageBuilder.pushIndex(pusher, repository, tag, ImageBuilder.Format.OCI, List.of(
                ImageBuilder.oci().layer(baseLayer()).platform(ImageBuilder.Platform.LINUX_ARM64).build(),
                ImageBuilder.oci().layer(baseLayer()).platform(ImageBuilder.Platform.LINUX_S390X).build()));
    }

    /** The base root filesystem as one zstd layer ({@code application/vnd.oci.image.layer.v1.tar+zstd}). */
    public static PushedImage zstdLayer(RegistryPusher pusher, String repository, String tag) throws IOException {
        return ImageBuilder.oci().layer(baseLayer(Compression.ZSTD)).push(pusher, repository, tag);
    }

    /** The base root filesystem as one uncompressed layer ({@code application/vnd.oci.image.layer.v1.tar}). */
    public static PushedImage uncompressedLayer(RegistryPusher pusher, String repository, String tag)
            throws IOException {
        return ImageBuilder.oci().layer(baseLayer(Compression.NONE)).push(pusher, repository, tag);
    }

    /**
     * A well-formed single-layer image whose config lies about the layer: its {@code rootfs.diff_ids}
     * names another tar's digest. The blobs themselves match their descriptors, so only a puller that
     * checks the uncompressed digest against diff_ids notices.
     */
    public static PushedImage badDigest(RegistryPusher pusher, String repository, String tag) throws IOException {
        String wrong = Digests.of("this is not the layer's tar\n".getBytes(StandardCharsets.UTF_8));
        return ImageBuilder.oci().layer(baseLayer()).diffIdsOverride(List.of(wrong)).push(pusher, repository, tag);
    }

    /**
     * A well-formed image with one small layer of its own, pushed to the registry behind {@code proxy},
     * whose layer blob the proxy then serves with one byte flipped: pulled through {@code proxy.url()},
     * the layer's digest does not match its descriptor. ({@code proxy.heal(layerDigest)} undoes it.)
     */
    public static PushedImage corruptedBlob(RegistryPusher pusher, CorruptingProxy proxy, String repository, String tag)
            throws IOException {
        Layer own = addBaseRootfs(TarLayerBuilder.create())
                .file("corrupted-blob-fixture.txt", repository + ":" + tag + "\n").build(Compression.GZIP);
        PushedImage img = ImageBuilder.oci().layer(own).push(pusher, repository, tag);
        proxy.corruptBlob(own.blob().digest());
        return img;
    }

    /** A layer's tar name that climbs {@code depth} directories: deep enough to reach / from anywhere. */
    private static String climb(int depth, String rest) {
        return "../".repeat(depth) + rest;
    }

    /** {@link #malicious(RegistryPusher, String, String, MaliciousImage.Escape)} with the kind by name. */
    public static MaliciousImage malicious(RegistryPusher pusher, String repository, String tag, String kind)
            throws IOException {
        return malicious(pusher, repository, tag, MaliciousImage.Escape.parse(kind));
    }

    /**
     * An image whose layers try one kind of escape (see {@link MaliciousImage.Escape}); each call uses
     * fresh marker names under {@code /tmp}. Close the result to delete host files it created.
     */
    public static MaliciousImage malicious(RegistryPusher pusher, String repository, String tag,
            MaliciousImage.Escape kind) throws IOException {
        byte[] nonceBytes = new byte[6];
        RANDOM.nextBytes(nonceBytes);
        String n = HexFormat.of().formatHex(nonceBytes);
        Path tmp = Path.of("/tmp");
        byte[] pwned = "written by a malicious layer\n".getBytes(StandardCharsets.UTF_8);
        List<Path> mustNotExist = new ArrayList<>();
        Map<Path, String> unchanged = new LinkedHashMap<>();
        List<String> markers = new ArrayList<>();
        List<Layer> layers = new ArrayList<>();
        TarLayerBuilder t = TarLayerBuilder.create().file("harmless.txt", "harmless\n");
        switch (kind) {
            case DOTDOT -> {
                String shallow = "crio-escape-dotdot-" + n;
                String middle = "crio-escape-dotdot-mid-" + n;
                String deep = "crio-escape-dotdot-deep-" + n;
                t.rawFile("../../" + shallow, pwned)
                        .rawFile("bin/../../../" + middle, pwned)
                        .rawFile(climb(40, "tmp/" + deep), pwned);
                markers.addAll(List.of(shallow, middle));
                mustNotExist.add(tmp.resolve(deep));
                layers.add(t.build(Compression.GZIP));
            }
            case ABSOLUTE -> {
                String abs = "crio-escape-absolute-" + n;
                t.rawFile("/tmp/" + abs, pwned);
                mustNotExist.add(tmp.resolve(abs));
                layers.add(t.build(Compression.GZIP));
            }
            case SYMLINK -> {
                String viaAbs = "crio-escape-symlink-abs-" + n;
                String viaRel = "crio-escape-symlink-rel-" + n;
                String replaced = "crio-escape-symlink-file-" + n;
                String nextAbs = "crio-escape-symlink-l2-abs-" + n;
                String nextRel = "crio-escape-symlink-l2-rel-" + n;
                t.rawLink("esc-abs", "/tmp", false).rawFile("esc-abs/" + viaAbs, pwned)
                        .rawLink("esc-rel", climb(40, "tmp"), false).rawFile("esc-rel/" + viaRel, pwned)
                        .rawLink("esc-file", "/tmp/" + replaced, false).rawFile("esc-file", pwned);
                layers.add(t.build(Compression.GZIP));
                layers.add(TarLayerBuilder.create()
                        .rawFile("esc-abs/" + nextAbs, pwned)
                        .rawFile("esc-rel/" + nextRel, pwned)
                        .build(Compression.GZIP));
                for (String name : List.of(viaAbs, viaRel, replaced, nextAbs, nextRel)) {
                    mustNotExist.add(tmp.resolve(name));
                }
            }
            case HARDLINK -> {
                Path target = tmp.resolve("crio-escape-hardlink-target-" + n);
                String original = "host file: a layer must not change or link to it\n";
                Files.writeString(target, original);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                unchanged.put(target, original);
                t.rawLink("hl-abs", target.toString(), true)
                        .rawLink("hl-rel", climb(40, target.toString().substring(1)), true)
                        .rawFile("hl-abs", pwned)
                        .rawFile("hl-rel", pwned);
                layers.add(t.build(Compression.GZIP));
            }
        }
        ImageBuilder b = ImageBuilder.oci();
        layers.forEach(b::layer);
        try {
            PushedImage img = b.push(pusher, repository, tag);
            return new MaliciousImage(img, kind, List.copyOf(mustNotExist), Map.copyOf(unchanged), List.copyOf(markers));
        } catch (IOException | RuntimeException e) {
            for (Path p : unchanged.keySet()) {
                Files.deleteIfExists(p);
            }
            throw e;
        }
    }

    /**
     * {@code layers} gzip layers of deterministic incompressible data, {@code totalBytes} in all
     * (uncompressed), for throughput benchmarks. The first layer also holds the base root filesystem, so
     * the image runs. Layers are streamed through temporary files (deleted after the push), never held
     * in memory; built and pushed by up to two threads.
     */
    public static PushedImage large(RegistryPusher pusher, String repository, String tag, int layers, long totalBytes)
            throws IOException {
        if (layers < 1 || totalBytes < layers) {
            throw new IllegalArgumentException("need at least one layer and one byte per layer");
        }
        Path dir = Files.createTempDirectory("crio-e2e-large-");
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(2, layers))) {
            List<java.util.concurrent.Future<Layer>> futures = new ArrayList<>();
            long per = totalBytes / layers;
            for (int i = 0; i < layers; i++) {
                int index = i;
                long size = i == layers - 1 ? totalBytes - per * (layers - 1) : per;
                futures.add(pool.submit(() -> {
                    TarLayerBuilder t = TarLayerBuilder.create();
                    if (index == 0) {
                        addBaseRootfs(t);
                    }
                    t.dir("data").randomFile("data/layer-" + index + ".bin", size, 0x5eed0000L + index);
                    Layer layer = t.buildToFile(Compression.GZIP, dir);
                    pusher.pushBlob(repository, layer.blob());
                    return layer;
                }));
            }
            ImageBuilder b = ImageBuilder.oci();
            for (var f : futures) {
                b.layer(f.get());
            }
            return b.push(pusher, repository, tag); // layers already there: only HEADs, config and manifest
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted building large layers", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } finally {
            RegistryServer.deleteTree(dir);
        }
    }
}
