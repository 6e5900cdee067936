package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.sys.Libc;
import io.crio.sys.MountCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
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
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> store.createContainer(newId(), List.of("one"), image.id(), ""));
        assertTrue(e.getMessage().contains(id), e.getMessage());
        assertThrows(IllegalStateException.class, () -> store.createContainer(id, List.of("two"), image.id(), ""));
        assertThrows(IllegalArgumentException.class, () -> store.createContainer(newId(), List.of("three"), "f".repeat(64), ""));
        assertEquals(1, store.containers().size());
        store.deleteContainer(id);
        assertEquals(List.of(), store.containers());
    }
}
