package io.crio.e2e.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the registry harness itself: each fixture is pushed to a real docker-registry and checked with
 * skopeo (an independent client) and by reading the blobs back; Basic and token auth refuse anonymous
 * clients and accept ours.
 */
class RegistryHarnessIT {

    private static RegistryServer registry;
    private static RegistryPusher pusher;
    private static Skopeo skopeo;
    private static Path work;

    @BeforeAll
    static void startRegistry() throws IOException {
        assumeTrue(Files.isExecutable(RegistryServer.DEFAULT_BINARY), "docker-registry is not installed");
        assumeTrue(Skopeo.installed(), "skopeo is not installed");
        work = Files.createTempDirectory("crio-e2e-harness-");
        registry = RegistryServer.start();
        pusher = RegistryPusher.of(registry);
        skopeo = new Skopeo(work);
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
        RegistryServer.deleteTree(work);
    }

    // ---- helpers ----

    /** skopeo's view of an image: inspect, raw manifest, raw config; digests checked against {@code img}. */
    private static JsonNode checkWithSkopeo(PushedImage img, String creds) throws IOException {
        String ref = img.reference(registry.url());
        byte[] rawManifest = skopeo.inspect(ref, creds, "--raw").orThrow().getBytes(StandardCharsets.UTF_8);
        assertEquals(img.manifestDigest(), Digests.of(rawManifest), "manifest digest of " + ref);
        byte[] rawConfig = skopeo.inspect(ref, creds, "--config", "--raw").orThrow().getBytes(StandardCharsets.UTF_8);
        assertEquals(img.configDigest(), Digests.of(rawConfig), "config digest of " + ref);
        JsonNode config = ImageBuilder.JSON.readTree(rawConfig);
        List<String> diffIds = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(n -> diffIds.add(n.asText()));
        assertEquals(img.diffIds(), diffIds);
        JsonNode inspect = ImageBuilder.JSON.readTree(skopeo.inspect(ref, creds).orThrow());
        List<String> layers = new ArrayList<>();
        inspect.path("Layers").forEach(n -> layers.add(n.asText()));
        assertEquals(img.layerDigests(), layers, "layers skopeo sees");
        assertEquals("linux", inspect.path("Os").asText());
        return config;
    }

    private static JsonNode manifestJson(PushedImage img) throws IOException {
        RegistryPusher.Manifest m = pusher.getManifest(img.repository(), img.tag());
        assertEquals(img.manifestDigest(), m.digest());
        return m.json();
    }

    private record TarItem(String name, byte type, String link, int mode, long uid, byte[] content) {
        boolean isSymlink() {
            return type == '2';
        }

        boolean isHardlink() {
            return type == '1';
        }
    }

    /** Reads a layer blob back: decompresses by media type, checks the diff_id, lists the entries. */
    private static List<TarItem> readLayer(byte[] blob, String mediaType, String expectedDiffId) throws IOException {
        InputStream in = new ByteArrayInputStream(blob);
        if (mediaType.endsWith("gzip")) {
            in = new GZIPInputStream(in);
        } else if (mediaType.endsWith("zstd")) {
            in = new ZstdInputStream(in);
        }
        byte[] tar = in.readAllBytes();
        if (expectedDiffId != null) {
            assertEquals(expectedDiffId, Digests.of(tar), "diff_id of a " + mediaType + " layer");
        }
        List<TarItem> items = new ArrayList<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                byte[] content = e.isFile() && !e.isLink() ? t.readAllBytes() : new byte[0];
                items.add(new TarItem(e.getName(), (byte) (e.isSymbolicLink() ? '2' : e.isLink() ? '1' : e.isDirectory() ? '5' : '0'),
                        e.getLinkName(), e.getMode() & 07777, e.getLongUserId(), content));
            }
        }
        return items;
    }

    private static List<List<TarItem>> readLayers(PushedImage img) throws IOException {
        JsonNode manifest = manifestJson(img);
        List<List<TarItem>> layers = new ArrayList<>();
        int i = 0;
        for (JsonNode d : manifest.path("layers")) {
            byte[] blob = pusher.getBlob(img.repository(), d.path("digest").asText());
            assertEquals(d.path("size").asLong(), blob.length);
            assertEquals(d.path("digest").asText(), Digests.of(blob));
            layers.add(readLayer(blob, d.path("mediaType").asText(), img.diffIds().get(i++)));
        }
        return layers;
    }

    private static Map<String, TarItem> byName(List<TarItem> items) {
        Map<String, TarItem> m = new LinkedHashMap<>();
        items.forEach(i -> m.put(i.name(), i));
        return m;
    }

    /** Applies layers the way an overlay view shows them: whiteouts and opaque markers hide lower entries. */
    private static Map<String, TarItem> flatten(List<List<TarItem>> layers) {
        Map<String, TarItem> view = new HashMap<>();
        for (List<TarItem> layer : layers) {
            for (TarItem item : layer) {
                String path = "/" + strip(item.name());
                String dir = path.substring(0, path.lastIndexOf('/'));
                String base = path.substring(path.lastIndexOf('/') + 1);
                if (base.equals(".wh..wh..opq")) {
                    view.keySet().removeIf(p -> p.startsWith(dir + "/"));
                } else if (base.startsWith(".wh.")) {
                    String gone = dir + "/" + base.substring(4);
                    view.keySet().removeIf(p -> p.equals(gone) || p.startsWith(gone + "/"));
                }
            }
            for (TarItem item : layer) {
                String path = "/" + strip(item.name());
                if (!path.substring(path.lastIndexOf('/') + 1).startsWith(".wh.")) {
                    view.put(path, item);
                }
            }
        }
        return view;
    }

    private static String strip(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static void checkOciCopy(PushedImage img) throws IOException {
        Path oci = work.resolve("oci-" + img.repository().replace('/', '-'));
        skopeo.copyToOci(img.reference(registry.url()), null, oci, "t").orThrow();
        JsonNode index = ImageBuilder.JSON.readTree(oci.resolve("index.json").toFile());
        assertEquals(img.manifestDigest(), index.path("manifests").path(0).path("digest").asText(),
                "skopeo copied the manifest unchanged");
        for (String digest : img.layerDigests()) {
            Path blob = oci.resolve("blobs/sha256/" + Digests.hex(digest));
            assertTrue(Files.exists(blob), "copied " + digest);
            assertEquals(digest, Digests.of(blob));
        }
        assertEquals(img.configDigest(), Digests.of(oci.resolve("blobs/sha256/" + img.imageId())));
    }

    // ---- the harness's own pieces ----

    @Test
    void bcryptMatchesKnownHashes() {
        // computed with glibc's crypt(3) ($2b$)
        assertEquals("$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW",
                BCrypt.hash("secret", BCrypt.decodeSalt("abcdefghijklmnopqrstuu"), 4));
        assertEquals("$2b$05$XXXXXXXXXXXXXXXXXXXXXO/qIIMCoilAJbRrHuFi5gWpYsFg/7fYC",
                BCrypt.hash("pässwörd-long-".repeat(6), BCrypt.decodeSalt("XXXXXXXXXXXXXXXXXXXXXX"), 5));
        assertEquals("$2b$04$abcdefghijklmnopqrstuubyCG3zY1GIXMyxfivm.ClDiInHzxjiq",
                BCrypt.hash("", BCrypt.decodeSalt("abcdefghijklmnopqrstuu"), 4));
    }

    @Test
    void fixturesAreDeterministic() throws IOException {
        assertEquals(FixtureImages.baseLayer().blob().digest(),
                FixtureImages.addBaseRootfs(TarLayerBuilder.create()).build(Compression.GZIP).blob().digest());
        assertEquals(FixtureImages.indexAmd64ManifestDigest(),
                ImageBuilder.oci().layer(FixtureImages.baseLayer()).build().manifestDigest());
    }

    // ---- fixtures on an open registry ----

    @Test
    void singleLayer() throws IOException {
        PushedImage img = FixtureImages.singleLayer(pusher, "e2e/single", "latest");
        JsonNode config = checkWithSkopeo(img, null);
        assertEquals("amd64", config.path("architecture").asText());
        assertEquals("[\"/bin/sh\"]", config.path("config").path("Cmd").toString());
        assertEquals("", config.path("config").path("User").asText());
        assertTrue(config.path("config").path("Env").get(0).asText().startsWith("PATH=/"));
        JsonNode manifest = manifestJson(img);
        assertEquals(ImageBuilder.Format.OCI.manifestMediaType, manifest.path("mediaType").asText());
        assertEquals(Compression.GZIP.mediaType(ImageBuilder.Format.OCI),
                manifest.path("layers").path(0).path("mediaType").asText());
        assertEquals(img.totalCompressedSize(), manifest.path("layers").path(0).path("size").asLong());

        List<List<TarItem>> layers = readLayers(img);
        Map<String, TarItem> entries = byName(layers.getFirst());
        TarItem busybox = entries.get("bin/busybox");
        assertEquals(0755, busybox.mode());
        assertEquals(0, busybox.uid());
        assertArrayEquals(Files.readAllBytes(FixtureImages.BUSYBOX), busybox.content());
        assertTrue(entries.get("bin/sh").isSymlink());
        assertEquals("busybox", entries.get("bin/sh").link());
        assertTrue(new String(entries.get("etc/passwd").content(), StandardCharsets.UTF_8)
                .contains("app:x:1000:1000::/home/app:/bin/sh\n"));
        assertTrue(entries.containsKey("etc/group"));
        assertEquals(1000, entries.get("home/app/").uid());

        checkOciCopy(img);
        // a second push of the same image uploads nothing new
        assertFalse(pusher.pushBlob("e2e/single", FixtureImages.baseLayer().blob()));
    }

    @Test
    void dockerSchema2() throws IOException {
        PushedImage img = FixtureImages.dockerSchema2(pusher, "e2e/docker", "v2");
        JsonNode config = checkWithSkopeo(img, null);
        assertEquals("1000", config.path("config").path("User").asText());
        JsonNode manifest = manifestJson(img);
        assertEquals(ImageBuilder.Format.DOCKER.manifestMediaType, manifest.path("mediaType").asText());
        assertEquals(ImageBuilder.Format.DOCKER.configMediaType, manifest.path("config").path("mediaType").asText());
        assertEquals("application/vnd.docker.image.rootfs.diff.tar.gzip",
                manifest.path("layers").path(0).path("mediaType").asText());
        assertEquals(ImageBuilder.Format.DOCKER.manifestMediaType,
                pusher.getManifest(img.repository(), img.tag()).mediaType());
    }

    @Test
    void multiLayer() throws IOException {
        PushedImage img = FixtureImages.multiLayer(pusher, "e2e/multi", "latest");
        checkWithSkopeo(img, null);
        assertEquals(3, img.layerDigests().size());
        List<List<TarItem>> layers = readLayers(img);
        Map<String, TarItem> second = byName(layers.get(1));
        assertTrue(second.containsKey(".wh.del"));
        assertTrue(second.containsKey("a/.wh.x"));
        assertTrue(second.containsKey("opq/.wh..wh..opq"));
        assertTrue(second.get("bin/hl").isHardlink());
        assertEquals("bin/busybox", second.get("bin/hl").link());

        // the documented final view is what the layers produce
        Map<String, TarItem> view = flatten(layers);
        FixtureImages.MULTI_LAYER_FILES.forEach((path, content) -> {
            assertTrue(view.containsKey(path), path + " present");
            assertEquals(content, new String(view.get(path).content(), StandardCharsets.UTF_8), path);
        });
        FixtureImages.MULTI_LAYER_ABSENT.forEach(path -> assertFalse(view.containsKey(path), path + " absent"));
        FixtureImages.MULTI_LAYER_SYMLINKS.forEach((path, target) -> assertEquals(target, view.get(path).link(), path));
        FixtureImages.MULTI_LAYER_HARDLINKS.forEach((path, target) -> {
            assertTrue(view.get(path).isHardlink());
            assertEquals(target, "/" + view.get(path).link());
        });
        assertTrue(view.containsKey("/a/y/keep") && view.containsKey("/opq") && !view.containsKey("/opq/old1"));

        checkOciCopy(img);
    }

    @Test
    void indexes() throws IOException {
        PushedImage img = FixtureImages.index(pusher, "e2e/index", "multiarch");
        String rawText = skopeo.inspect(img.reference(registry.url()), null, "--raw").orThrow();
        assertEquals(img.manifestDigest(), Digests.of(rawText.getBytes(StandardCharsets.UTF_8)));
        JsonNode raw = ImageBuilder.JSON.readTree(rawText);
        assertEquals(ImageBuilder.Format.OCI.indexMediaType, raw.path("mediaType").asText());
        assertEquals("amd64", raw.path("manifests").path(0).path("platform").path("architecture").asText());
        assertEquals("arm64", raw.path("manifests").path(1).path("platform").path("architecture").asText());
        assertEquals(FixtureImages.indexAmd64ManifestDigest(), raw.path("manifests").path(0).path("digest").asText());
        // skopeo resolves the index to this host's platform: amd64's config
        byte[] config = skopeo.inspect(img.reference(registry.url()), null, "--config", "--raw").orThrow()
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(img.configDigest(), Digests.of(config));
        String arm64Manifest = raw.path("manifests").path(1).path("digest").asText();
        JsonNode arm = pusher.getManifest(img.repository(), arm64Manifest).json();
        JsonNode armConfig = ImageBuilder.JSON.readTree(pusher.getBlob(img.repository(),
                arm.path("config").path("digest").asText()));
        assertEquals("arm64", armConfig.path("architecture").asText());
        assertEquals("v8", armConfig.path("variant").asText());
        assertEquals(img.layerDigests().getFirst(), arm.path("layers").path(0).path("digest").asText());

        PushedImage list = FixtureImages.dockerManifestList(pusher, "e2e/list", "multiarch");
        JsonNode rawList = ImageBuilder.JSON.readTree(skopeo.inspect(list.reference(registry.url()), null, "--raw").orThrow());
        assertEquals(ImageBuilder.Format.DOCKER.indexMediaType, rawList.path("mediaType").asText());
        assertEquals(list.configDigest(), Digests.of(skopeo.inspect(list.reference(registry.url()), null,
                "--config", "--raw").orThrow().getBytes(StandardCharsets.UTF_8)));

        PushedImage noAmd64 = FixtureImages.indexWithoutAmd64(pusher, "e2e/noamd64", "latest");
        Skopeo.Result r = skopeo.inspect(noAmd64.reference(registry.url()), null);
        assertNotEquals(0, r.exit(), "an index without linux/amd64 cannot be resolved here");
        assertTrue(r.stderr().contains("amd64"), r.stderr());
        JsonNode rawNo = ImageBuilder.JSON.readTree(skopeo.inspect(noAmd64.reference(registry.url()), null, "--raw").orThrow());
        List<String> arches = new ArrayList<>();
        rawNo.path("manifests").forEach(m -> arches.add(m.path("platform").path("architecture").asText()));
        assertEquals(List.of("arm64", "s390x"), arches);
    }

    @Test
    void zstdLayer() throws IOException {
        PushedImage img = FixtureImages.zstdLayer(pusher, "e2e/zstd", "latest");
        checkWithSkopeo(img, null);
        JsonNode manifest = manifestJson(img);
        assertEquals("application/vnd.oci.image.layer.v1.tar+zstd", manifest.path("layers").path(0).path("mediaType").asText());
        List<List<TarItem>> layers = readLayers(img); // checks the diff_id of the zstd-decompressed tar
        assertTrue(byName(layers.getFirst()).containsKey("bin/busybox"));
        // same tar as the gzip fixture, so the same diff_id
        assertEquals(FixtureImages.baseLayer().diffId(), img.diffIds().getFirst());
        assertNotEquals(FixtureImages.baseLayer().blob().digest(), img.layerDigests().getFirst());
    }

    @Test
    void maliciousLayersKeepTheirEscapingNames() throws IOException {
        for (MaliciousImage.Escape kind : MaliciousImage.Escape.values()) {
            MaliciousImage bad = FixtureImages.malicious(pusher, "e2e/malicious-" + kind.name().toLowerCase(),
                    "latest", kind.name().toLowerCase());
            try {
                checkWithSkopeo(bad.image(), null);
                assertEquals(List.of(), bad.violations(work.resolve("a/b/c")), "nothing unpacked, nothing escaped");
                List<TarItem> all = new ArrayList<>();
                readLayers(bad.image()).forEach(all::addAll);
                List<String> names = all.stream().map(TarItem::name).toList();
                switch (kind) {
                    case DOTDOT -> {
                        assertTrue(names.stream().anyMatch(n -> n.startsWith("../../crio-escape-dotdot-")), names.toString());
                        assertTrue(names.stream().anyMatch(n -> n.startsWith("../../../../") && n.contains("tmp/crio-escape-dotdot-deep-")));
                    }
                    case ABSOLUTE -> assertTrue(names.stream().anyMatch(n -> n.startsWith("/tmp/crio-escape-absolute-")), names.toString());
                    case SYMLINK -> {
                        assertTrue(all.stream().anyMatch(i -> i.isSymlink() && i.link().equals("/tmp")));
                        assertTrue(names.contains("esc-file"));
                        assertEquals(2, bad.image().layerDigests().size());
                    }
                    case HARDLINK -> {
                        Path target = bad.mustStayUnchanged().keySet().iterator().next();
                        assertTrue(Files.exists(target), "the hard link target exists on the host");
                        assertTrue(all.stream().anyMatch(i -> i.isHardlink() && i.link().equals(target.toString())));
                        assertTrue(all.stream().anyMatch(i -> i.isHardlink() && i.link().startsWith("../")));
                    }
                }
                // the checker itself can fail: fake an escape
                if (!bad.mustNotExist().isEmpty()) {
                    Files.writeString(bad.mustNotExist().getFirst(), "escaped");
                    assertEquals(1, bad.violations().size());
                } else {
                    Files.writeString(bad.mustStayUnchanged().keySet().iterator().next(), "changed");
                    assertEquals(1, bad.violations().size());
                }
                if (!bad.markerNames().isEmpty()) {
                    Path unpack = work.resolve("unpack/layer/diff");
                    Files.createDirectories(unpack);
                    Files.writeString(work.resolve("unpack").resolve(bad.markerNames().getFirst()), "escaped");
                    assertEquals(2, bad.violations(unpack).size());
                    bad.cleanup(unpack);
                }
                List<Path> created = new ArrayList<>(bad.mustNotExist());
                created.addAll(bad.mustStayUnchanged().keySet());
                bad.cleanup();
                created.forEach(p -> assertFalse(Files.exists(p), "cleaned " + p));
            } finally {
                bad.close();
            }
        }
        assertEquals(MaliciousImage.Escape.HARDLINK, MaliciousImage.Escape.parse("hard-link"));
    }

    @Test
    void badDiffId() throws IOException {
        PushedImage img = FixtureImages.badDigest(pusher, "e2e/bad-diffid", "latest");
        checkWithSkopeo(img, null); // manifest and blobs are consistent...
        JsonNode manifest = manifestJson(img);
        byte[] blob = pusher.getBlob(img.repository(), manifest.path("layers").path(0).path("digest").asText());
        // ...but the config's diff_id is not the layer's
        String actual = Digests.of(new GZIPInputStream(new ByteArrayInputStream(blob)));
        assertEquals(FixtureImages.baseLayer().diffId(), actual);
        assertNotEquals(actual, img.diffIds().getFirst());
    }

    @Test
    void corruptingProxy() throws IOException {
        try (CorruptingProxy proxy = CorruptingProxy.start(registry)) {
            PushedImage img = FixtureImages.corruptedBlob(pusher, proxy, "e2e/corrupt", "latest");
            String layer = img.layerDigests().getFirst();
            RegistryPusher viaProxy = RegistryPusher.anonymous(proxy.url());
            byte[] bad = viaProxy.getBlob(img.repository(), layer);
            byte[] good = pusher.getBlob(img.repository(), layer);
            assertEquals(good.length, bad.length);
            assertNotEquals(layer, Digests.of(bad));
            assertEquals(layer, Digests.of(good));
            // manifests and config pass through untouched
            assertEquals(img.manifestDigest(), viaProxy.getManifest(img.repository(), img.tag()).digest());
            assertTrue(viaProxy.blobExists(img.repository(), layer));

            Path dest = work.resolve("oci-corrupt");
            Skopeo.Result r = skopeo.copyToOci(proxy.url() + "/" + img.repository() + ":" + img.tag(), null, dest, "t");
            assertNotEquals(0, r.exit(), "skopeo must reject the corrupted blob");
            assertTrue(r.stderr().toLowerCase().contains("digest"), r.stderr());
            assertTrue(proxy.requests().stream().anyMatch(s -> s.contains(Digests.hex(layer)) && s.contains("FLIP_BYTE")),
                    proxy.requests().toString());

            proxy.heal(layer);
            RegistryServer.deleteTree(dest);
            skopeo.copyToOci(proxy.url() + "/" + img.repository() + ":" + img.tag(), null, dest, "t").orThrow();

            proxy.damageBlob(layer, CorruptingProxy.Damage.TRUNCATE);
            assertEquals(good.length / 2, viaProxy.getBlob(img.repository(), layer).length);
        }
    }

    @Test
    void largeImage() throws IOException {
        long total = Long.getLong("crio.e2e.large.bytes", 24L << 20);
        int count = Integer.getInteger("crio.e2e.large.layers", 4);
        long t0 = System.nanoTime();
        PushedImage img = FixtureImages.large(pusher, "e2e/large", "latest", count, total);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("large fixture: %d layers, %d MiB uncompressed, %d MiB compressed, built+pushed in %d ms%n",
                count, total >> 20, img.totalCompressedSize() >> 20, ms);
        assertEquals(count, img.layerDigests().size());
        assertTrue(img.totalCompressedSize() >= total, "random data does not compress");
        checkWithSkopeo(img, null);
        // the same call again gives the same digests (deterministic data) and uploads nothing
        assertEquals(img.manifestDigest(), FixtureImages.large(pusher, "e2e/large", "again", count, total).manifestDigest());
    }

    @Test
    void crossRepositoryMount() throws IOException {
        FixtureImages.singleLayer(pusher, "e2e/mount-a", "latest");
        Blob base = FixtureImages.baseLayer().blob();
        assertTrue(pusher.pushBlob("e2e/mount-b", base));
        assertFalse(pusher.pushBlob("e2e/mount-b", base));
        assertTrue(Files.readString(registry.logFile()).contains("\"POST /v2/e2e/mount-b/blobs/uploads/?mount="
                + base.digest().replace(":", "%3A") + "&from="), registry.logTail(20));
        assertTrue(pusher.blobExists("e2e/mount-b", base.digest()));
    }

    // ---- auth ----

    @Test
    void basicAuth() throws IOException {
        try (RegistryServer secured = RegistryServer.builder().withBasicAuth("alice", "s3cret-pw").start()) {
            RegistryPusher anonymous = RegistryPusher.anonymous(secured.url());
            HttpResponse<byte[]> ping = anonymous.request("GET", "", Map.of(), null);
            assertEquals(401, ping.statusCode());
            assertTrue(ping.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
            RegistryException e = assertThrows(RegistryException.class,
                    () -> FixtureImages.singleLayer(anonymous, "e2e/basic", "latest"));
            assertEquals(401, e.status());
            RegistryException wrong = assertThrows(RegistryException.class, () -> FixtureImages.singleLayer(
                    RegistryPusher.withCredentials(secured.url(), "alice", "wrong"), "e2e/basic", "latest"));
            assertEquals(401, wrong.status());

            RegistryPusher alice = RegistryPusher.of(secured);
            PushedImage img = FixtureImages.singleLayer(alice, "e2e/basic", "latest");
            assertEquals(img.manifestDigest(), alice.getManifest("e2e/basic", "latest").digest());
            assertEquals(401, assertThrows(RegistryException.class,
                    () -> anonymous.getManifest("e2e/basic", "latest")).status());

            String ref = img.reference(secured.url());
            Skopeo.Result noCreds = skopeo.inspect(ref, null, "--raw");
            assertNotEquals(0, noCreds.exit());
            assertTrue(noCreds.stderr().toLowerCase().contains("unauthorized"), noCreds.stderr());
            assertNotEquals(0, skopeo.inspect(ref, "alice:wrong", "--raw").exit());
            assertEquals(img.manifestDigest(), Digests.of(skopeo.inspect(ref, "alice:s3cret-pw", "--raw").orThrow()
                    .getBytes(StandardCharsets.UTF_8)));
            skopeo.copyToOci(ref, "alice:s3cret-pw", work.resolve("oci-basic"), "t").orThrow();
            assertTrue(Files.readString(secured.logFile()).contains("\"GET /v2/e2e/basic/manifests/latest HTTP/1.1\" 200"),
                    secured.logTail(20));
        }
    }

    @Test
    void tokenAuth() throws IOException {
        try (RegistryServer secured = RegistryServer.builder().withTokenAuth("bob", "t0ken-pw").start()) {
            TokenServer tokens = secured.tokenServer().orElseThrow();
            RegistryPusher anonymous = RegistryPusher.anonymous(secured.url());
            HttpResponse<byte[]> ping = anonymous.request("GET", "", Map.of(), null);
            assertEquals(401, ping.statusCode());
            String challenge = ping.headers().firstValue("WWW-Authenticate").orElse("");
            assertTrue(challenge.startsWith("Bearer realm=\"" + tokens.realm() + "\""), challenge);
            assertEquals(401, assertThrows(RegistryException.class,
                    () -> FixtureImages.singleLayer(anonymous, "e2e/token", "latest")).status());
            assertEquals(401, assertThrows(RegistryException.class, () -> FixtureImages.singleLayer(
                    RegistryPusher.withCredentials(secured.url(), "bob", "wrong"), "e2e/token", "latest")).status());

            RegistryPusher bob = RegistryPusher.of(secured);
            PushedImage img = FixtureImages.singleLayer(bob, "e2e/token", "latest");
            assertEquals(img.manifestDigest(), bob.getManifest("e2e/token", "latest").digest());
            assertTrue(tokens.requests().stream().anyMatch(r -> r.granted() && "bob".equals(r.account())
                    && r.scopes().contains("repository:e2e/token:pull,push")), tokens.requests().toString());

            // the same layer into a second repository: a cross-repository mount needing pull on the first
            PushedImage second = FixtureImages.dockerSchema2(bob, "e2e/token2", "latest");
            assertEquals(second.manifestDigest(), bob.getManifest("e2e/token2", "latest").digest());
            assertTrue(Files.readString(secured.logFile()).contains("\"POST /v2/e2e/token2/blobs/uploads/?mount="),
                    secured.logTail(30));

            String ref = img.reference(secured.url());
            assertNotEquals(0, skopeo.inspect(ref, null, "--raw").exit());
            assertEquals(img.manifestDigest(), Digests.of(skopeo.inspect(ref, "bob:t0ken-pw", "--raw").orThrow()
                    .getBytes(StandardCharsets.UTF_8)));
            skopeo.copyToOci(ref, "bob:t0ken-pw", work.resolve("oci-token"), "t").orThrow();

            // hand-made tokens: pull-only may read but not write; an expired one may do nothing
            String pullOnly = "Bearer " + tokens.issue("bob", List.of("repository:e2e/token:pull"), 300);
            assertEquals(200, anonymous.request("HEAD", "e2e/token/manifests/latest",
                    Map.of("Authorization", pullOnly, "Accept", ImageBuilder.Format.OCI.manifestMediaType), null).statusCode());
            assertEquals(401, anonymous.request("POST", "e2e/token/blobs/uploads/",
                    Map.of("Authorization", pullOnly), new byte[0]).statusCode());
            String expired = "Bearer " + tokens.issue("bob", List.of("repository:e2e/token:pull"), -600);
            assertEquals(401, anonymous.request("HEAD", "e2e/token/manifests/latest",
                    Map.of("Authorization", expired), null).statusCode());
        }
    }

    @Test
    void tokenAuthWithAnonymousPull() throws IOException {
        try (RegistryServer secured = RegistryServer.builder().withTokenAuth("carol", "pw", true).start()) {
            PushedImage img = FixtureImages.singleLayer(RegistryPusher.of(secured), "e2e/public", "latest");
            String ref = img.reference(secured.url());
            assertEquals(img.manifestDigest(), Digests.of(skopeo.inspect(ref, null, "--raw").orThrow()
                    .getBytes(StandardCharsets.UTF_8)));
            RegistryPusher anonymous = RegistryPusher.anonymous(secured.url());
            assertEquals(img.manifestDigest(), anonymous.getManifest("e2e/public", "latest").digest());
            assertEquals(401, assertThrows(RegistryException.class,
                    () -> FixtureImages.multiLayer(anonymous, "e2e/public", "other")).status());
        }
    }
}
