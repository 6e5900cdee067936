package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.sys.Libc;
import io.crio.sys.MountCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Containers in the store: writable layers, rootfs mounts, removal, and the image they hold. */
class ContainersStoreContainerTest {

    @TempDir
    Path dir;
    ContainersStore store;
    ImageRecord image;

    static String newId() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @BeforeEach
    void setUp() throws Exception {
        store = ContainersStore.open(dir.resolve("graph"), dir.resolve("run"));
        LayerInfo base = TestImages.commitFileLayer(store, null, "base.txt", "from the base layer\n");
        LayerInfo top = TestImages.commitFileLayer(store, base.id(), "top.txt", "from the top layer\n");
        image = TestImages.putImage(store, List.of(TestImages.layerOf(base), TestImages.layerOf(top)), top.id(),
                "localhost/ctr:1");
    }

    @AfterEach
    void tearDown() throws Exception {
        // never leave a mount behind, whatever the test did
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().equals("merged")).toList()) {
                MountCalls.umount2IfMounted(p.toString(), MountCalls.MNT_DETACH);
            }
        }
        store.close();
    }

    @Test
    void aContainerGetsAWritableLayerOverItsImage() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String id = newId();
        ContainerRecord c = store.createContainer(id, List.of("k8s_app_pod_ns_uid_0"), image.id(), "{\"a\":1}");
        assertEquals(image.id(), c.image());
        assertEquals("{\"a\":1}", store.container(id).orElseThrow().metadata());
        assertEquals(id, store.containerByName("k8s_app_pod_ns_uid_0").orElseThrow().id());
        assertTrue(Files.isDirectory(dir.resolve("graph/overlay-containers").resolve(id).resolve("userdata")));
        assertTrue(Files.isDirectory(dir.resolve("run/overlay-containers").resolve(id).resolve("userdata")));
        assertEquals("rwx------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("graph/overlay-containers").resolve(id).resolve("userdata"))));

        // the records as containers/storage writes them
        JsonNode rec = recordOf(dir.resolve("graph/overlay-containers/containers.json"), id);
        assertEquals(List.of("k8s_app_pod_ns_uid_0"), strings(rec.get("names")));
        assertEquals(image.id(), rec.get("image").asText());
        assertEquals(c.layer(), rec.get("layer").asText());
        assertEquals("{\"a\":1}", rec.get("metadata").asText());
        assertTrue(rec.get("created").asText().endsWith("Z"), rec.toString());
        JsonNode layerRec = recordOf(dir.resolve("graph/overlay-layers/layers.json"), c.layer());
        assertEquals(image.topLayer(), layerRec.get("parent").asText());
        assertNull(layerRec.get("diff-digest"), layerRec.toString());
        assertNull(layerRec.get("compressed-diff-digest"), layerRec.toString());
        assertNull(layerRec.get("flags"), "complete: " + layerRec);
        Path layerDir = dir.resolve("graph/overlay").resolve(c.layer());
        for (String sub : List.of("diff", "work", "merged")) {
            assertTrue(Files.isDirectory(layerDir.resolve(sub)), sub);
        }
        String link = Files.readString(layerDir.resolve("link"));
        assertEquals(layerDir.resolve("diff"), dir.resolve("graph/overlay/l").resolve(link).toRealPath());
        Path topDir = dir.resolve("graph/overlay").resolve(image.topLayer());
        assertEquals("l/" + Files.readString(topDir.resolve("link")) + ":" + Files.readString(topDir.resolve("lower")),
                Files.readString(layerDir.resolve("lower")));

        long t0 = System.nanoTime();
        Path rootfs = store.mount(id);
        long t1 = System.nanoTime();
        assertEquals(rootfs, store.mount(id), "a second mount shares the first");
        assertEquals("from the base layer\n", Files.readString(rootfs.resolve("base.txt")));
        assertEquals("from the top layer\n", Files.readString(rootfs.resolve("top.txt")));
        Files.writeString(rootfs.resolve("written.txt"), "by the container\n");
        Path diff = dir.resolve("graph/overlay").resolve(c.layer()).resolve("diff");
        assertEquals("by the container\n", Files.readString(diff.resolve("written.txt")));

        store.unmount(id, false);
        assertTrue(MountCalls.isMountPoint(rootfs), "still mounted once");
        long t2 = System.nanoTime();
        store.unmount(id, false);
        long t3 = System.nanoTime();
        assertFalse(MountCalls.isMountPoint(rootfs));
        System.out.printf("overlay mount %.2f ms, unmount %.2f ms%n", (t1 - t0) / 1e6, (t3 - t2) / 1e6);

        assertThrows(ImageInUseException.class, () -> store.removeImage(image.id()));
        store.mount(id);
        store.deleteContainer(id);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertTrue(store.container(id).isEmpty());
        assertFalse(Files.exists(dir.resolve("graph/overlay").resolve(c.layer())));
        assertTrue(store.layer(c.layer()).isEmpty());
        assertFalse(Files.exists(dir.resolve("graph/overlay-containers").resolve(id)));
        assertFalse(Files.exists(dir.resolve("run/overlay-containers").resolve(id)));
        try (var links = Files.list(dir.resolve("graph/overlay/l"))) {
            assertEquals(2, links.count(), "only the image's two layer links remain");
        }
        assertTrue(store.removeImage(image.id()));
        assertThrows(ContainerNotFoundException.class, () -> store.deleteContainer(id));
    }

    @Test
    void namesAndIdsAreUnique() throws Exception {
        String id = newId();
        store.createContainer(id, List.of("one"), image.id(), "");
        String before = Files.readString(dir.resolve("graph/overlay-layers/layers.json"));
        ContainerNameInUseException e = assertThrows(ContainerNameInUseException.class,
                () -> store.createContainer(newId(), List.of("two", "one"), image.id(), ""));
        assertTrue(e.getMessage().contains(id), e.getMessage());
        assertEquals(id, e.holder());
        assertEquals("one", e.name());
        assertEquals(before, Files.readString(dir.resolve("graph/overlay-layers/layers.json")), "no layer was made");
        assertTrue(store.containerByName("two").isEmpty());
        assertThrows(ImageInUseException.class, () -> store.removeImage(image.id()));
        assertThrows(IllegalStateException.class, () -> store.createContainer(id, List.of("two"), image.id(), ""));
        assertThrows(IllegalArgumentException.class, () -> store.createContainer(newId(), List.of("three"), "f".repeat(64), ""));
        assertThrows(IllegalArgumentException.class, () -> store.createContainer(newId(), List.of(" "), image.id(), ""));
        assertThrows(IllegalArgumentException.class, () -> store.createContainer("not-hex", List.of("four"), image.id(), ""));
        assertEquals(1, store.containers().size());
        store.deleteContainer(id);
        assertEquals(List.of(), store.containers());
        assertThrows(ContainerNotFoundException.class, () -> store.mount(id));
        assertThrows(ContainerNotFoundException.class, () -> store.unmount(id, false));
        assertTrue(store.removeImage(image.id()));
    }

    @Test
    void aFailurePartWayRemovesWhatWasMadeAndKeepsTheDaemonsRunDirectory() throws Exception {
        String id = newId();
        // the daemon makes the run-root directory first and puts its files there
        Path runUserdata = Files.createDirectories(dir.resolve("run/overlay-containers").resolve(id).resolve("userdata"));
        Files.writeString(runUserdata.resolve("config.json"), "{}");
        // the graph-root directory cannot be made: a file is in the way
        Path blocker = Files.writeString(dir.resolve("graph/overlay-containers").resolve(id), "in the way");
        String layersBefore = Files.readString(dir.resolve("graph/overlay-layers/layers.json"));
        List<Path> overlayBefore = listing(dir.resolve("graph/overlay"));
        List<Path> linksBefore = listing(dir.resolve("graph/overlay/l"));

        assertThrows(IOException.class, () -> store.createContainer(id, List.of("x"), image.id(), "{}"));
        assertEquals(layersBefore, Files.readString(dir.resolve("graph/overlay-layers/layers.json")));
        assertEquals(overlayBefore, listing(dir.resolve("graph/overlay")));
        assertEquals(linksBefore, listing(dir.resolve("graph/overlay/l")));
        assertEquals(List.of(), store.containers());
        assertEquals("{}", Files.readString(runUserdata.resolve("config.json")), "the daemon's files stay");

        // without a run-root directory beforehand, the failed call leaves none
        String other = newId();
        Files.writeString(dir.resolve("graph/overlay-containers").resolve(other), "in the way");
        assertThrows(IOException.class, () -> store.createContainer(other, List.of("y"), image.id(), "{}"));
        assertFalse(Files.exists(dir.resolve("run/overlay-containers").resolve(other)));
        assertEquals(overlayBefore, listing(dir.resolve("graph/overlay")));

        // once the way is clear it works, and the daemon's run-root files are kept
        Files.delete(blocker);
        store.createContainer(id, List.of("x"), image.id(), "{}");
        assertEquals("{}", Files.readString(runUserdata.resolve("config.json")));
        assertEquals(1, store.containers().size());
        store.deleteContainer(id);
        assertFalse(Files.exists(dir.resolve("run/overlay-containers").resolve(id)));
        assertEquals(overlayBefore, listing(dir.resolve("graph/overlay")));
        assertEquals(linksBefore, listing(dir.resolve("graph/overlay/l")));
    }

    @Test
    void aContainerOfAnImageWithoutLayersHasALayerWithoutParent() throws Exception {
        ImageRecord empty = TestImages.putImage(store, List.of(), null, "localhost/empty:1");
        String id = newId();
        ContainerRecord c = store.createContainer(id, List.of("empty"), empty.id(), null);
        assertTrue(store.layer(c.layer()).orElseThrow().parent() == null);
        Path layerDir = dir.resolve("graph/overlay").resolve(c.layer());
        assertFalse(Files.exists(layerDir.resolve("lower")));
        assertEquals("", store.container(id).orElseThrow().metadata());
        if (Libc.geteuid() == 0) {
            Path rootfs = store.mount(id);
            assertTrue(MountCalls.isMountPoint(rootfs));
            Files.writeString(rootfs.resolve("only.txt"), "alone\n");
            assertEquals("alone\n", Files.readString(layerDir.resolve("diff/only.txt")));
        }
        store.deleteContainer(id);
        assertFalse(Files.exists(layerDir));
        assertFalse(MountCalls.isMountPoint(layerDir.resolve("merged")));
    }

    @Test
    void mountOptionsOverAPageAreRefused() throws Exception {
        // enough layers that their l/ paths no longer fit in the kernel's page of mount data
        String parent = image.topLayer();
        List<TestImages.Layer> chain = new ArrayList<>();
        LayerInfo info = null;
        int lowerLength = dir.resolve("graph/overlay/l").toString().length() + 1 + OverlayDriver.LINK_ID_LENGTH + 1;
        for (int i = 0; i * lowerLength < 4200; i++) {
            info = TestImages.commitFileLayer(store, parent, "f" + i, "layer " + i + "\n");
            chain.add(TestImages.layerOf(info));
            parent = info.id();
        }
        ImageRecord deep = TestImages.putImage(store, chain, info.id(), "localhost/deep:1");
        String id = newId();
        ContainerRecord c = store.createContainer(id, List.of("deep"), deep.id(), "");
        IOException e = assertThrows(IOException.class, () -> store.mount(id));
        assertTrue(e.getMessage().contains("4095"), e.getMessage());
        assertFalse(MountCalls.isMountPoint(dir.resolve("graph/overlay").resolve(c.layer()).resolve("merged")));
        store.unmount(id, false);
        store.deleteContainer(id);
    }

    private static List<Path> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    private static JsonNode recordOf(Path json, String id) throws IOException {
        for (JsonNode n : new ObjectMapper().readTree(json.toFile())) {
            if (id.equals(n.path("id").asText())) {
                return n;
            }
        }
        throw new AssertionError(id + " is not in " + json);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
