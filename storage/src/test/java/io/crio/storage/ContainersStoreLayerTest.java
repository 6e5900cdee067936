package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainersStoreLayerTest {

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
    void layerIdsFollowContainersImage() {
        String diff = "sha256:61d96434532c3747011717275c2a3e56948dc698df803117ea3daa287bea1703";
        assertEquals("61d96434532c3747011717275c2a3e56948dc698df803117ea3daa287bea1703", ContainersStore.layerId(null, diff));
        // sha256("<parent>+<diff hex>"), computed independently with python's hashlib
        assertEquals("492f54245e1ff2707d7009066c9880051d32b1e234f6c6510a5400664ce89faa",
                ContainersStore.layerId("61d96434532c3747011717275c2a3e56948dc698df803117ea3daa287bea1703",
                        "sha256:" + "1".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> ContainersStore.layerId(null, "sha256:xyz"));
        assertThrows(IllegalArgumentException.class, () -> ContainersStore.layerId("../etc", "sha256:" + "1".repeat(64)));
    }

    @Test
    void openCreatesTheContainersStorageLayout() {
        for (String p : List.of("overlay/l", "overlay-layers/layers.lock", "overlay-images/images.lock",
                "overlay-containers/containers.json", "overlay-containers/containers.lock")) {
            assertTrue(Files.exists(g.resolve(p)), p);
        }
        for (String p : List.of("overlay", "overlay-layers", "overlay-containers")) {
            assertTrue(Files.isDirectory(r.resolve(p)), p);
        }
    }

    @Test
    void committedLayerHasDirectoriesLinkAndRecord() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "etc/base", "base");
        LayerInfo child = TestImages.commitFileLayer(store, base.id(), "etc/child", "child");
        LayerInfo grandchild = TestImages.commitFileLayer(store, child.id(), "etc/grandchild", "grandchild");

        Path overlay = g.resolve("overlay");
        for (LayerInfo l : List.of(base, child, grandchild)) {
            Path dir = overlay.resolve(l.id());
            String link = Files.readString(dir.resolve("link"));
            assertTrue(link.matches("[A-Z2-7]{26}"), link);
            Path symlink = overlay.resolve("l").resolve(link);
            assertEquals(Path.of("..", l.id(), "diff"), Files.readSymbolicLink(symlink));
            assertTrue(Files.isSameFile(dir.resolve("diff"), symlink));
            assertTrue(Files.isDirectory(dir.resolve("work")));
            assertTrue(Files.isDirectory(dir.resolve("merged")));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        }
        assertTrue(Files.isDirectory(overlay.resolve(base.id()).resolve("empty")));
        assertFalse(Files.exists(overlay.resolve(base.id()).resolve("lower")));
        String baseLink = Files.readString(overlay.resolve(base.id()).resolve("link"));
        String childLink = Files.readString(overlay.resolve(child.id()).resolve("link"));
        assertEquals("l/" + baseLink, Files.readString(overlay.resolve(child.id()).resolve("lower")));
        assertEquals("l/" + childLink + ":l/" + baseLink, Files.readString(overlay.resolve(grandchild.id()).resolve("lower")));
        assertEquals("grandchild", Files.readString(overlay.resolve(grandchild.id()).resolve("diff/etc/grandchild")));

        List<ObjectNode> records = StoreJson.readArray(g.resolve("overlay-layers/layers.json"));
        assertEquals(3, records.size());
        ObjectNode rec = records.get(1);
        assertEquals(child.id(), rec.get("id").asText());
        assertEquals(base.id(), rec.get("parent").asText());
        assertEquals(child.diffDigest(), rec.get("diff-digest").asText());
        assertEquals(child.diffSize(), rec.get("diff-size").asLong());
        assertEquals(child.compressedDigest(), rec.get("compressed-diff-digest").asText());
        assertEquals(child.compressedSize(), rec.get("compressed-size").asLong());
        assertNull(rec.get("flags"), "a committed layer carries no incomplete flag");
        assertTrue(rec.get("created").asText().endsWith("Z"));
        assertFalse(records.get(0).has("parent"));
        assertEquals(child, store.layer(child.id()).orElseThrow());
    }

    @Test
    void pendingLayerIsIncompleteUntilCommitted() throws Exception {
        TestImages.Layer l = TestImages.fileLayer("a", "a");
        String id = ContainersStore.layerId(null, l.diffDigest());
        try (PendingLayer p = store.beginLayer(id, null)) {
            assertEquals(g.resolve("overlay").resolve(id).resolve("diff"), p.diffDir());
            JsonNode rec = StoreJson.readArray(g.resolve("overlay-layers/layers.json")).get(0);
            assertTrue(rec.path("flags").path("incomplete").asBoolean());
            assertTrue(store.layer(id).isEmpty(), "an incomplete layer is not visible");
            assertThrows(IllegalStateException.class, () -> store.beginLayer(id, null));
            TestImages.writeFileLayer(p.diffDir(), "a", "a");
            LayerInfo info = p.commit(l.diffDigest(), l.size(), null, 0);
            assertSame(info, p.commit(l.diffDigest(), l.size(), null, 0), "commit is idempotent");
            assertNull(info.compressedDigest());
        }
        assertTrue(store.layer(id).isPresent(), "closing a committed layer keeps it");
        assertThrows(IllegalStateException.class, () -> store.beginLayer(id, null));
    }

    @Test
    void abortRemovesEverythingTheLayerCreated() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "base", "base");
        byte[] layersBefore = Files.readAllBytes(g.resolve("overlay-layers/layers.json"));
        Set<Path> before = tree(g);
        TestImages.Layer l = TestImages.fileLayer("x", "x");
        String id = ContainersStore.layerId(base.id(), l.diffDigest());
        PendingLayer p = store.beginLayer(id, base.id());
        TestImages.writeFileLayer(p.diffDir(), "x", "x");
        Files.createDirectories(p.diffDir().resolve("deep/er"));
        Files.setPosixFilePermissions(p.diffDir().resolve("deep"), PosixFilePermissions.fromString("r-x------"));
        p.abort();
        p.abort();
        p.close();
        assertEquals(before, tree(g));
        assertEquals(1, StoreJson.readArray(g.resolve("overlay-layers/layers.json")).size());
        assertEquals(new String(layersBefore, StandardCharsets.UTF_8).replaceAll("\\s", ""),
                new String(Files.readAllBytes(g.resolve("overlay-layers/layers.json")), StandardCharsets.UTF_8).replaceAll("\\s", ""));
        assertThrows(IllegalStateException.class, () -> p.commit(l.diffDigest(), l.size(), null, 0));
        // and the same layer can be begun again
        try (PendingLayer again = store.beginLayer(id, base.id())) {
            assertTrue(Files.isDirectory(again.diffDir()));
        }
        assertEquals(before, tree(g));
    }

    @Test
    void closeWithoutCommitAborts() throws Exception {
        TestImages.Layer l = TestImages.fileLayer("y", "y");
        String id = ContainersStore.layerId(null, l.diffDigest());
        try (PendingLayer p = store.beginLayer(id, null)) {
            TestImages.writeFileLayer(p.diffDir(), "y", "y");
        }
        assertFalse(Files.exists(g.resolve("overlay").resolve(id)));
        assertTrue(store.layer(id).isEmpty());
        try (Stream<Path> links = Files.list(g.resolve("overlay/l"))) {
            assertEquals(0, links.count());
        }
    }

    @Test
    void parentRulesAreEnforced() throws Exception {
        String missing = "a".repeat(64);
        assertThrows(IllegalArgumentException.class, () -> store.beginLayer("b".repeat(64), missing));
        assertThrows(IllegalArgumentException.class, () -> store.beginLayer("../../etc", null));
        TestImages.Layer pl = TestImages.fileLayer("p", "p");
        String parentId = ContainersStore.layerId(null, pl.diffDigest());
        TestImages.Layer cl = TestImages.fileLayer("c", "c");
        String childId = ContainersStore.layerId(parentId, cl.diffDigest());
        try (PendingLayer parent = store.beginLayer(parentId, null);
             PendingLayer child = store.beginLayer(childId, parentId)) {
            // a pending parent is fine to begin on (layers unpack in parallel) but must be committed first
            assertThrows(IllegalStateException.class, () -> child.commit(cl.diffDigest(), cl.size(), null, 0));
            parent.commit(pl.diffDigest(), pl.size(), null, 0);
            child.commit(cl.diffDigest(), cl.size(), null, 0);
        }
        assertEquals(parentId, store.layer(childId).orElseThrow().parent());
    }

    @Test
    void incompleteLayersAreRemovedOnOpen() throws Exception {
        LayerInfo kept = TestImages.commitFileLayer(store, null, "kept", "kept");
        TestImages.Layer l = TestImages.fileLayer("crash", "crash");
        String id = ContainersStore.layerId(kept.id(), l.diffDigest());
        PendingLayer p = store.beginLayer(id, kept.id());
        TestImages.writeFileLayer(p.diffDir(), "crash", "crash");
        String link = Files.readString(g.resolve("overlay").resolve(id).resolve("link"));
        // the process "crashes": the store goes away without committing or aborting
        store.close();
        assertTrue(Files.isDirectory(g.resolve("overlay").resolve(id)));
        assertTrue(StoreJson.readArray(g.resolve("overlay-layers/layers.json")).stream()
                .anyMatch(n -> n.path("flags").path("incomplete").asBoolean()));

        // plus an incomplete record left by another containers/storage user, without any directory
        Path layersJson = g.resolve("overlay-layers/layers.json");
        List<ObjectNode> recs = new ArrayList<>(StoreJson.readArray(layersJson));
        ObjectNode foreign = LayerTable.newRecord("c".repeat(64), null, java.time.Instant.now());
        foreign.putObject("flags").put("incomplete", true);
        recs.add(foreign);
        StoreJson.writeArray(layersJson, recs);

        store = ContainersStore.open(g, r);
        assertFalse(Files.exists(g.resolve("overlay").resolve(id)));
        assertFalse(Files.exists(g.resolve("overlay/l").resolve(link)), "the link goes too");
        List<ObjectNode> after = StoreJson.readArray(layersJson);
        assertEquals(List.of(kept.id()), after.stream().map(n -> n.get("id").asText()).toList());
        assertTrue(store.layer(kept.id()).isPresent());
        assertTrue(Files.exists(g.resolve("overlay").resolve(kept.id()).resolve("diff/kept")));
    }

    @Test
    void unknownFieldsSurviveARewrite() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "f", "f");
        Path layersJson = g.resolve("overlay-layers/layers.json");
        List<ObjectNode> recs = StoreJson.readArray(layersJson);
        recs.get(0).putArray("uidset").add(0);
        recs.get(0).put("toc-digest", "sha256:" + "d".repeat(64));
        StoreJson.writeArray(layersJson, recs);
        TestImages.commitFileLayer(store, base.id(), "g", "g");
        ObjectNode rewritten = StoreJson.readArray(layersJson).get(0);
        assertEquals(0, rewritten.get("uidset").get(0).asInt());
        assertEquals("sha256:" + "d".repeat(64), rewritten.get("toc-digest").asText());
    }

    @Test
    void volatileLayersAreReadAndWrittenBackWhereTheyCameFrom() throws Exception {
        LayerInfo base = TestImages.commitFileLayer(store, null, "v", "v");
        ObjectNode containerLayer = LayerTable.newRecord("e".repeat(64), base.id(), java.time.Instant.now());
        Path volatileJson = g.resolve("overlay-layers/volatile-layers.json");
        StoreJson.writeArray(volatileJson, List.of(containerLayer));
        // a change another process makes is seen through the file's stat even without a new lock token
        assertTrue(store.layer("e".repeat(64)).isPresent());
        TestImages.commitFileLayer(store, base.id(), "w", "w");
        assertEquals(1, StoreJson.readArray(volatileJson).size());
        assertEquals(2, StoreJson.readArray(g.resolve("overlay-layers/layers.json")).size());
    }

    @Test
    void concurrentLayersAndReadersDoNotInterfere() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Callable<LayerInfo>> tasks = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int n = i;
                tasks.add(() -> TestImages.commitFileLayer(store, null, "f" + n, "content " + n));
                tasks.add(() -> {
                    store.images();
                    store.layer("0".repeat(64));
                    return null;
                });
            }
            List<String> ids = new ArrayList<>();
            for (Future<LayerInfo> f : pool.invokeAll(tasks)) {
                LayerInfo info = f.get();
                if (info != null) {
                    ids.add(info.id());
                }
            }
            assertEquals(16, ids.size());
            assertEquals(16, StoreJson.readArray(g.resolve("overlay-layers/layers.json")).size());
            for (String id : ids) {
                assertTrue(store.layer(id).isPresent());
            }
        } finally {
            pool.shutdown();
        }
        assertNoTempFiles(g);
    }

    static Set<Path> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.getFileName().toString().endsWith(".json")).map(root::relativize)
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    static void assertNoTempFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> temps = s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
            assertEquals(List.of(), temps);
        }
    }
}
