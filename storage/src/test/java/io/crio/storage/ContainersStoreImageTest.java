package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainersStoreImageTest {

    @TempDir
    Path tmp;
    Path g;
    Path r;
    ContainersStore store;

    @BeforeEach
    void open() throws IOException {
        g = tmp.resolve("graph");
        r = tmp.resolve("run");
        store = ContainersStore.open(g, r);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void bigDataFileNamesFollowContainersStorage() {
        assertEquals("manifest", ImageTable.bigDataFileName("manifest"));
        assertEquals("=" + Base64.getEncoder().encodeToString("manifest-sha256:ab".getBytes(StandardCharsets.UTF_8)),
                ImageTable.bigDataFileName("manifest-sha256:ab"));
        // observed in a store written by podman 4.3
        assertEquals("=c2hhMjU2OmQxMzE0ZWRhNTYxNjEzODU5YWVlNzhkMGM3MTMzMDlkZWNhMjk2Y2M4OGE4MGIwYmM0ODg1YmY4NzcyMjFlZjg=",
                ImageTable.bigDataFileName("sha256:d1314eda561613859aee78d0c713309deca296cc88a80b0bc4885bf877221ef8"));
        assertThrows(IllegalArgumentException.class, () -> ImageTable.bigDataFileName(".."));
        assertThrows(IllegalArgumentException.class, () -> ImageTable.bigDataFileName(""));
    }

    @Test
    void putImageWritesRecordAndBigData() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "etc/os", "one");
        TestImages.Image img = TestImages.image(List.of(TestImages.layerOf(base)), "/bin/sh");
        Instant created = Instant.parse("2024-05-06T07:08:09.123456789Z");
        ImageRecord rec = store.putImage(img.id(), base.id(), List.of("docker.io/library/one:latest"),
                List.of(img.manifestDigest()), img.bigData(), created);

        assertEquals(img.id(), rec.id());
        assertEquals(List.of("docker.io/library/one:latest"), rec.names());
        assertEquals(img.manifestDigest(), rec.digest());
        assertEquals(List.of(img.manifestDigest()), rec.digests());
        assertEquals(base.id(), rec.topLayer());
        assertEquals(created, rec.created());
        assertEquals(List.of("sha256:" + img.id(), "manifest-" + img.manifestDigest(), "manifest"), rec.bigDataNames());

        ObjectNode json = StoreJson.readArray(g.resolve("overlay-images/images.json")).get(0);
        assertEquals(img.id(), json.get("id").asText());
        assertEquals(img.manifestDigest(), json.get("digest").asText());
        assertEquals(base.id(), json.get("layer").asText());
        assertEquals("2024-05-06T07:08:09.123456789Z", json.get("created").asText());
        assertEquals(img.manifestDigest(), json.get("big-data-digests").get("manifest").asText());
        assertEquals("sha256:" + img.id(), json.get("big-data-digests").get("sha256:" + img.id()).asText());
        assertEquals(img.bigData().get("manifest").length, json.get("big-data-sizes").get("manifest").asLong());
        assertFalse(json.has("digests"), "digests backed by manifest big data are not stored again");
        assertEquals("docker.io/library/one:latest", json.get("names-history").get(0).asText());

        Path dir = g.resolve("overlay-images").resolve(img.id());
        assertArrayEquals(img.bigData().get("manifest"), Files.readAllBytes(dir.resolve("manifest")));
        assertArrayEquals(img.bigData().get("sha256:" + img.id()),
                Files.readAllBytes(dir.resolve(ImageTable.bigDataFileName("sha256:" + img.id()))));
        assertArrayEquals(img.bigData().get("manifest"), store.bigData(img.id(), "manifest-" + img.manifestDigest()).orElseThrow());
        assertTrue(store.bigData(img.id(), "nope").isEmpty());
        assertTrue(store.bigData("f".repeat(64), "manifest").isEmpty());
        assertEquals(List.of(rec), store.images());
        assertEquals(rec, store.image(img.id()).orElseThrow());
        assertEquals(rec, store.imageByName("docker.io/library/one:latest").orElseThrow());
        ContainersStoreLayerTest.assertNoTempFiles(g);
    }

    @Test
    void putImageValidatesItsArguments() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "v", "v");
        assertThrows(IllegalArgumentException.class, () -> store.putImage("nothex", base.id(), List.of(), List.of(), Map.of(), null));
        assertThrows(IllegalArgumentException.class,
                () -> store.putImage("a".repeat(64), "b".repeat(64), List.of(), List.of(), Map.of(), null));
        assertThrows(IllegalArgumentException.class,
                () -> store.putImage("a".repeat(64), base.id(), List.of(), List.of("md5"), Map.of(), null));
        assertThrows(IllegalArgumentException.class,
                () -> store.putImage("a".repeat(64), base.id(), List.of(""), List.of(), Map.of(), null));
        assertTrue(store.images().isEmpty());
        LayerInfo other = TestImages.commitFileLayer(store, null, "w", "w");
        store.putImage("a".repeat(64), base.id(), List.of(), List.of(), Map.of(), null);
        assertThrows(IllegalStateException.class,
                () -> store.putImage("a".repeat(64), other.id(), List.of(), List.of(), Map.of(), null));
    }

    @Test
    void putImageAgainMergesNamesAndDigests() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "m", "m");
        TestImages.Image img = TestImages.image(List.of(TestImages.layerOf(base)), "/bin/sh");
        Instant first = Instant.parse("2020-01-01T00:00:00Z");
        store.putImage(img.id(), base.id(), List.of("a:1"), List.of(img.manifestDigest()), img.bigData(), first);
        byte[] list = "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8);
        String listDigest = Ids.sha256Digest(list);
        ImageRecord again = store.putImage(img.id(), base.id(), List.of("a:2", "a:1"), List.of(listDigest),
                Map.of("manifest-" + listDigest, list), Instant.now());
        assertEquals(List.of("a:1", "a:2"), again.names());
        assertEquals(img.manifestDigest(), again.digest());
        assertTrue(again.digests().containsAll(List.of(img.manifestDigest(), listDigest)), again.digests().toString());
        assertEquals(first, again.created(), "the first creation time is kept");
        assertEquals(4, again.bigDataNames().size());

        // a digest without a manifest to back it is kept too
        String bare = "sha256:" + "8".repeat(64);
        ImageRecord third = store.putImage(img.id(), base.id(), List.of(), List.of(bare), Map.of(), null);
        assertTrue(third.digests().contains(bare));
        assertEquals(List.of(bare), StoreJson.strings(StoreJson.readArray(g.resolve("overlay-images/images.json")).get(0), "digests"));
    }

    @Test
    void retagMovesANameFromAnotherImage() throws Exception {
        LayerInfo l1 = TestImages.commitFileLayer(store, null, "one", "one");
        LayerInfo l2 = TestImages.commitFileLayer(store, null, "two", "two");
        ImageRecord old = TestImages.putImage(store, List.of(TestImages.layerOf(l1)), l1.id(), "docker.io/library/app:latest");
        store.setNames(old.id(), List.of("docker.io/library/app:latest", "docker.io/library/app:v1"));
        ImageRecord fresh = TestImages.putImage(store, List.of(TestImages.layerOf(l2)), l2.id(), "docker.io/library/app:latest");

        assertEquals(List.of("docker.io/library/app:latest"), fresh.names());
        assertEquals(List.of("docker.io/library/app:v1"), store.image(old.id()).orElseThrow().names());
        assertEquals(fresh.id(), store.imageByName("docker.io/library/app:latest").orElseThrow().id());

        store.setNames(old.id(), List.of("docker.io/library/app:latest"));
        assertEquals(List.of(), store.image(fresh.id()).orElseThrow().names());
        assertEquals(List.of("docker.io/library/app:latest"), store.image(old.id()).orElseThrow().names());
        assertThrows(NoSuchElementException.class, () -> store.setNames("f".repeat(64), List.of("x")));
        ObjectNode oldJson = StoreJson.readArray(g.resolve("overlay-images/images.json")).get(0);
        assertEquals(List.of("docker.io/library/app:latest", "docker.io/library/app:v1"), StoreJson.strings(oldJson, "names-history"));
    }

    @Test
    void removeImageKeepsSharedLayers() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "base", "base");
        LayerInfo mid = TestImages.commitFileLayer(store, base.id(), "mid", "mid");
        LayerInfo topA = TestImages.commitFileLayer(store, mid.id(), "a", "a");
        LayerInfo topB = TestImages.commitFileLayer(store, mid.id(), "b", "b");
        ImageRecord a = TestImages.putImage(store, List.of(TestImages.layerOf(base), TestImages.layerOf(mid), TestImages.layerOf(topA)),
                topA.id(), "a:latest");
        ImageRecord b = TestImages.putImage(store, List.of(TestImages.layerOf(base), TestImages.layerOf(mid), TestImages.layerOf(topB)),
                topB.id(), "b:latest");
        // image c is the shared middle layer itself
        ImageRecord c = TestImages.putImage(store, List.of(TestImages.layerOf(base), TestImages.layerOf(mid)), mid.id(), "c:latest");

        assertTrue(store.removeImage(a.id()));
        assertFalse(store.removeImage(a.id()));
        assertTrue(store.image(a.id()).isEmpty());
        assertFalse(Files.exists(g.resolve("overlay-images").resolve(a.id())));
        assertTrue(store.layer(topA.id()).isEmpty());
        assertFalse(Files.exists(g.resolve("overlay").resolve(topA.id())));
        for (LayerInfo kept : List.of(base, mid, topB)) {
            assertTrue(store.layer(kept.id()).isPresent(), kept.id());
            assertTrue(Files.isDirectory(g.resolve("overlay").resolve(kept.id()).resolve("diff")));
        }

        assertTrue(store.removeImage(c.id()));
        assertTrue(store.layer(mid.id()).isPresent(), "image b still stands on the middle layer");
        assertTrue(store.removeImage(b.id()));
        for (LayerInfo gone : List.of(base, mid, topB)) {
            assertTrue(store.layer(gone.id()).isEmpty(), gone.id());
            assertFalse(Files.exists(g.resolve("overlay").resolve(gone.id())));
        }
        assertEquals(List.of(), StoreJson.readArray(g.resolve("overlay-layers/layers.json")));
        assertEquals(List.of(), StoreJson.readArray(g.resolve("overlay-images/images.json")));
        try (var links = Files.list(g.resolve("overlay/l"))) {
            assertEquals(0, links.count());
        }
    }

    @Test
    void removeImageRefusesWhileAContainerUsesIt() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "c", "c");
        ImageRecord img = TestImages.putImage(store, List.of(TestImages.layerOf(base)), base.id(), "c:latest");
        ObjectNode container = StoreJson.NODES.objectNode();
        container.put("id", "1".repeat(64));
        container.put("image", img.id());
        container.put("layer", "2".repeat(64));
        StoreJson.writeArray(g.resolve("overlay-containers/containers.json"), List.of(container));
        ImageInUseException e = assertThrows(ImageInUseException.class, () -> store.removeImage(img.id()));
        assertEquals("1".repeat(64), e.containerId());
        assertTrue(store.image(img.id()).isPresent());
        StoreJson.writeArray(g.resolve("overlay-containers/containers.json"), List.of());
        assertTrue(store.removeImage(img.id()));
    }

    @Test
    void removeImageKeepsLayersThatContainersStandOn() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "k", "k");
        ImageRecord img = TestImages.putImage(store, List.of(TestImages.layerOf(base)), base.id(), "k:latest");
        // a container layer (as podman records it) on the image's top layer, container created from another image
        Path layersJson = g.resolve("overlay-layers/layers.json");
        List<ObjectNode> recs = new java.util.ArrayList<>(StoreJson.readArray(layersJson));
        recs.add(LayerTable.newRecord("3".repeat(64), base.id(), Instant.now()));
        StoreJson.writeArray(layersJson, recs);
        assertTrue(store.removeImage(img.id()));
        assertTrue(store.layer(base.id()).isPresent());
    }

    @Test
    void imageSizeAndUsage() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "s", "x".repeat(5000));
        LayerInfo top = TestImages.commitFileLayer(store, base.id(), "t", "y".repeat(3000));
        ImageRecord img = TestImages.putImage(store, List.of(TestImages.layerOf(base), TestImages.layerOf(top)), top.id(), "s:1");
        long bigData = TestImages.image(List.of(TestImages.layerOf(base), TestImages.layerOf(top)), "/bin/sh")
                .bigData().values().stream().mapToLong(v -> v.length).sum();
        assertEquals(base.diffSize() + top.diffSize() + bigData, store.imageSize(img.id()));
        assertThrows(NoSuchElementException.class, () -> store.imageSize("f".repeat(64)));

        Usage u = store.usage();
        assertTrue(u.bytes() >= 8000, "usage " + u);
        assertTrue(u.inodes() >= 10, "usage " + u);
        assertEquals(g.resolve("overlay-images"), u.mountpoint());
    }

    @Test
    void changesByAnotherWriterAreSeen() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "o", "o");
        ImageRecord img = TestImages.putImage(store, List.of(TestImages.layerOf(base)), base.id(), "o:1");
        try (ContainersStore other = ContainersStore.open(g, r)) {
            assertEquals(List.of(img), other.images());
            other.setNames(img.id(), List.of("o:2"));
            LayerInfo more = TestImages.commitFileLayer(other, base.id(), "p", "p");
            assertTrue(store.layer(more.id()).isPresent());
        }
        assertEquals(List.of("o:2"), store.image(img.id()).orElseThrow().names());
    }
}
