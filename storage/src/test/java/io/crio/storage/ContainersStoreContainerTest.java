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
        try {
            store.close();
        } finally {
            // never leave a mount behind, whatever the test did
            TestMounts.unmountAll(dir);
        }
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

        Path mountpoints = dir.resolve("run/overlay-layers/mountpoints.json");
        long t0 = System.nanoTime();
        Path rootfs = store.mount(id);
        long t1 = System.nanoTime();
        assertEquals(layerDir.resolve("merged"), rootfs);
        assertEquals(1, mountCount(mountpoints, c.layer(), rootfs));
        assertEquals(rootfs, store.mount(id), "a second mount shares the first");
        assertEquals(2, mountCount(mountpoints, c.layer(), rootfs));
        // the rootfs sits on the driver's home bound onto itself, private, as containers/storage keeps it
        Path home = dir.resolve("graph/overlay");
        assertEquals(List.of(home.toString(), rootfs.toString()), TestMounts.under(dir));
        MountTable.Entry bind = TestMounts.at(home);
        assertEquals(bind.id(), TestMounts.at(rootfs).parent());
        assertTrue(MountTable.read().isSelfBind(home.toRealPath()));
        String bindLine = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.startsWith(bind.id() + " ")).findFirst().orElseThrow();
        assertFalse(bindLine.contains("shared:"), bindLine);
        assertEquals("from the base layer\n", Files.readString(rootfs.resolve("base.txt")));
        assertEquals("from the top layer\n", Files.readString(rootfs.resolve("top.txt")));
        Files.writeString(rootfs.resolve("written.txt"), "by the container\n");
        Path diff = dir.resolve("graph/overlay").resolve(c.layer()).resolve("diff");
        assertEquals("by the container\n", Files.readString(diff.resolve("written.txt")));

        store.unmount(id, false);
        assertTrue(MountCalls.isMountPoint(rootfs), "still mounted once");
        assertEquals(1, mountCount(mountpoints, c.layer(), rootfs));
        long t2 = System.nanoTime();
        store.unmount(id, false);
        long t3 = System.nanoTime();
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals(0, mountCount(mountpoints, c.layer(), rootfs));
        assertEquals(List.of(), TestMounts.under(dir), "the home's bind goes with the last layer mount");
        int cycles = 20;
        long c0 = System.nanoTime();
        for (int i = 0; i < cycles; i++) {
            store.mount(id);
            store.unmount(id, false);
        }
        long c1 = System.nanoTime();
        System.out.printf("overlay mount %.2f ms, unmount %.2f ms (first mount, last unmount); mount+unmount %.2f ms"
                + " on average over %d cycles (each binding and releasing the home too)%n",
                (t1 - t0) / 1e6, (t3 - t2) / 1e6, (c1 - c0) / 1e6 / cycles, cycles);
        assertEquals(List.of(), TestMounts.under(dir));

        assertThrows(ImageInUseException.class, () -> store.removeImage(image.id()));
        store.mount(id);
        store.deleteContainer(id);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals(List.of(), TestMounts.under(dir));
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
    void containerRecordsKeptInMemoryFollowChangesMadeByOthers() throws Exception {
        String mine = newId();
        store.createContainer(mine, List.of("mine"), image.id(), "");
        assertEquals(List.of(mine), store.containers().stream().map(ContainerRecord::id).toList());
        // another process sharing the store (it records its writes in the lock file)
        try (ContainersStore other = ContainersStore.open(dir.resolve("graph"), dir.resolve("run"))) {
            String theirs = newId();
            other.createContainer(theirs, List.of("theirs"), image.id(), "");
            assertEquals(theirs, store.containerByName("theirs").orElseThrow().id());
            assertEquals(List.of(mine, theirs), store.containers().stream().map(ContainerRecord::id).toList());
            other.deleteContainer(mine);
            assertTrue(store.container(mine).isEmpty());
            assertThrows(ContainerNotFoundException.class, () -> store.mount(mine));
        }
        // a writer that does not touch the lock file: the file's own stamp gives it away
        Path file = dir.resolve("graph/overlay-containers/containers.json");
        Files.writeString(dir.resolve("graph/overlay-containers/.edited"), "[]");
        Files.move(dir.resolve("graph/overlay-containers/.edited"), file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertEquals(List.of(), store.containers());
        // and what this store writes afterwards starts from what is on disk
        String next = newId();
        store.createContainer(next, List.of("next"), image.id(), "");
        assertEquals(1, new ObjectMapper().readTree(file.toFile()).size());
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
    void aMountedContainerIsRecordedAndMountedOnce() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String id = newId();
        ContainersStore.MountedContainer made = store.createMountedContainer(id, List.of("mounted"), image.id(), "{}");
        ContainerRecord c = made.container();
        Path merged = dir.resolve("graph/overlay").resolve(c.layer()).resolve("merged");
        assertEquals(merged, made.rootfs());
        assertTrue(MountCalls.isMountPoint(merged));
        assertTrue(Files.isRegularFile(merged.resolve("top.txt")));
        assertEquals(1, mountCount(dir.resolve("run/overlay-layers/mountpoints.json"), c.layer(), merged));
        // both records are on disk before the call returns: a second store reads them
        try (ContainersStore other = ContainersStore.open(dir.resolve("graph"), dir.resolve("run"))) {
            assertEquals(c.layer(), other.container(id).orElseThrow().layer());
            assertTrue(other.layer(c.layer()).isPresent());
        }
        store.unmount(id, false);
        assertFalse(MountCalls.isMountPoint(merged));
        store.deleteContainer(id);
        assertEquals(List.of(), TestMounts.under(dir));
    }

    @Test
    void aMissingLinkDirectoryIsMadeAgain() throws Exception {
        Path links = dir.resolve("graph/overlay/l");
        Path aside = dir.resolve("graph/overlay-l-aside");
        Files.move(links, aside);
        String id = newId();
        ContainerRecord c = store.createContainer(id, List.of("relinked"), image.id(), "{}");
        String link = Files.readString(dir.resolve("graph/overlay").resolve(c.layer()).resolve("link")).trim();
        assertEquals(Path.of("..", c.layer(), "diff"), Files.readSymbolicLink(links.resolve(link)));
        store.deleteContainer(id);
        Files.delete(links);
        Files.move(aside, links);
    }

    @Test
    void theMountIsReportedBeforeTheRecordsAreWritten() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String id = newId();
        Path containersJson = dir.resolve("graph/overlay-containers/containers.json");
        List<Path> reported = new ArrayList<>();
        ContainersStore.MountedContainer made = store.createMountedContainer(id, List.of("early"), image.id(), "{}",
                rootfs -> {
                    assertTrue(MountCalls.isMountPoint(rootfs));
                    assertTrue(Files.isRegularFile(rootfs.resolve("top.txt")));
                    try {
                        assertFalse(Files.exists(containersJson) && Files.readString(containersJson).contains(id),
                                "the container is not recorded yet");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    reported.add(rootfs);
                });
        assertEquals(List.of(made.rootfs()), reported);
        assertTrue(Files.readString(containersJson).contains(id));
        store.unmount(id, false);
        store.deleteContainer(id);
        assertEquals(List.of(), TestMounts.under(dir));
    }

    @Test
    void aFailureAfterTheMountWasReportedLeavesNothing() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String layersBefore = Files.readString(dir.resolve("graph/overlay-layers/layers.json"));
        List<Path> overlayBefore = listing(dir.resolve("graph/overlay"));
        List<Path> linksBefore = listing(dir.resolve("graph/overlay/l"));
        String id = newId();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
                store.createMountedContainer(id, List.of("undone"), image.id(), "{}", rootfs -> {
                    throw new IllegalStateException("the caller gave up");
                }));
        assertEquals("the caller gave up", thrown.getMessage());
        assertEquals(List.of(), store.containers());
        assertEquals(layersBefore, Files.readString(dir.resolve("graph/overlay-layers/layers.json")));
        assertEquals(overlayBefore, listing(dir.resolve("graph/overlay")));
        assertEquals(linksBefore, listing(dir.resolve("graph/overlay/l")));
        assertFalse(Files.exists(dir.resolve("graph/overlay-containers").resolve(id)));
        assertFalse(Files.exists(dir.resolve("run/overlay-containers").resolve(id)));
        assertEquals(List.of(), TestMounts.under(dir));
        // the name is free again
        store.createMountedContainer(id, List.of("undone"), image.id(), "{}");
        store.unmount(id, true);
        store.deleteContainer(id);
    }

    @Test
    void aMountThatFailsLeavesNoContainerNorLayer() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String layersBefore = Files.readString(dir.resolve("graph/overlay-layers/layers.json"));
        List<Path> overlayBefore = listing(dir.resolve("graph/overlay"));
        // the image's top layer loses its l/ link: the overlay of a new container over it cannot be mounted
        Path topLink = dir.resolve("graph/overlay/l").resolve(Files.readString(
                dir.resolve("graph/overlay").resolve(image.topLayer()).resolve("link")).trim());
        Path target = Files.readSymbolicLink(topLink);
        Files.delete(topLink);
        String id = newId();
        assertThrows(IOException.class, () -> store.createMountedContainer(id, List.of("broken"), image.id(), "{}"));
        assertEquals(List.of(), store.containers());
        assertEquals(layersBefore, Files.readString(dir.resolve("graph/overlay-layers/layers.json")));
        assertEquals(overlayBefore, listing(dir.resolve("graph/overlay")));
        assertFalse(Files.exists(dir.resolve("graph/overlay-containers").resolve(id)));
        assertFalse(Files.exists(dir.resolve("run/overlay-containers").resolve(id)));
        assertEquals(List.of(), TestMounts.under(dir));
        try (Stream<Path> tmp = Files.list(dir.resolve("graph/overlay-containers"))) {
            assertEquals(List.of(), tmp.filter(f -> f.getFileName().toString().startsWith(".tmp")).toList(),
                    "no temporary store file is left");
        }
        // with the link back, the same container can be made
        Files.createSymbolicLink(topLink, target);
        store.createMountedContainer(id, List.of("broken"), image.id(), "{}");
        store.deleteContainer(id);
    }

    @Test
    void layerDirectoriesWithoutARecordAreRemovedOnOpen() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        // a crash between a container layer's directories (and its mount) and its record
        String id = newId();
        ContainerRecord c = store.createMountedContainer(id, List.of("crashed"), image.id(), "{}").container();
        String kept = newId();
        ContainerRecord keptContainer = store.createContainer(kept, List.of("kept"), image.id(), "{}");
        store.close();
        ObjectMapper json = new ObjectMapper();
        for (String f : List.of("graph/overlay-layers/layers.json", "graph/overlay-containers/containers.json")) {
            var records = (com.fasterxml.jackson.databind.node.ArrayNode) json.readTree(dir.resolve(f).toFile());
            for (int i = records.size() - 1; i >= 0; i--) {
                if (records.get(i).path("id").asText().equals(c.layer()) || records.get(i).path("id").asText().equals(id)) {
                    records.remove(i);
                }
            }
            json.writeValue(dir.resolve(f).toFile(), records);
        }
        Path layerDir = dir.resolve("graph/overlay").resolve(c.layer());
        String link = Files.readString(layerDir.resolve("link")).trim();
        assertTrue(MountCalls.isMountPoint(layerDir.resolve("merged")));

        store = ContainersStore.open(dir.resolve("graph"), dir.resolve("run"));
        assertFalse(Files.exists(layerDir), "the orphaned layer directory is gone");
        assertFalse(Files.exists(dir.resolve("graph/overlay/l").resolve(link), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.readString(dir.resolve("run/overlay-layers/mountpoints.json")).contains(c.layer()));
        assertEquals(List.of(), TestMounts.under(dir).stream().filter(m -> m.contains(c.layer())).toList());
        // recorded layers (the images' and the other container's) stay
        assertTrue(Files.isDirectory(dir.resolve("graph/overlay").resolve(keptContainer.layer())));
        assertTrue(Files.isDirectory(dir.resolve("graph/overlay").resolve(image.topLayer())));
        assertEquals(List.of(kept), store.containers().stream().map(ContainerRecord::id).toList());
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

    @Test
    void mountCountsOutliveTheStoreAndFollowTheKernel() throws Exception {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "mounting needs root");
        String id = newId();
        ContainerRecord c = store.createContainer(id, List.of("counted"), image.id(), "");
        Path mountpoints = dir.resolve("run/overlay-layers/mountpoints.json");
        Path rootfs = store.mount(id);
        store.mount(id, java.util.Optional.of("system_u:object_r:container_file_t:s0:c1,c2"));
        // another tool's record survives our rewrites
        String foreign = "{\"id\":\"" + "e".repeat(64) + "\",\"path\":\"/elsewhere/merged\",\"count\":1}";
        String ours = Files.readString(mountpoints);
        Files.writeString(mountpoints, "[" + foreign + "," + ours.substring(1));

        // a restarted daemon finds the counts where it left them
        store.close();
        store = ContainersStore.open(dir.resolve("graph"), dir.resolve("run"));
        assertEquals(2, mountCount(mountpoints, c.layer(), rootfs));
        store.unmount(id, false);
        assertTrue(MountCalls.isMountPoint(rootfs));
        store.unmount(id, false);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals("[" + foreign + "]", Files.readString(mountpoints));

        // a record whose mount was taken away behind the store's back counts for nothing
        store.mount(id);
        store.mount(id);
        MountCalls.umount2(rootfs.toString(), MountCalls.MNT_DETACH);
        assertEquals(rootfs, store.mount(id));
        assertTrue(MountCalls.isMountPoint(rootfs));
        assertEquals(1, mountCount(mountpoints, c.layer(), rootfs));
        assertTrue(Files.isRegularFile(rootfs.resolve("top.txt")));

        // a mount without a record (a crash between the two) is taken over rather than stacked
        Files.writeString(mountpoints, "[" + foreign + "]");
        assertEquals(rootfs, store.mount(id));
        assertEquals(1, mountCount(mountpoints, c.layer(), rootfs));
        assertEquals(1, mountsAt(rootfs), "one overlay at the merged directory");
        store.unmount(id, false);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals(List.of(), TestMounts.under(dir));

        // another mount below the home keeps its bind in place when the last layer is unmounted
        Path other = Files.createDirectories(dir.resolve("graph/overlay/other"));
        store.mount(id);
        MountCalls.mount("tmpfs", other.toString(), "tmpfs", 0, null);
        store.unmount(id, false);
        assertEquals(List.of(dir.resolve("graph/overlay").toString(), other.toString()), TestMounts.under(dir));
        MountCalls.umount2(other.toString(), 0);
        // and a mount found below a home that is no mount point keeps the home from being bound over it
        MountCalls.umount2(dir.resolve("graph/overlay").toString(), MountCalls.MNT_DETACH);
        MountCalls.mount("tmpfs", other.toString(), "tmpfs", 0, null);
        store.mount(id);
        assertEquals(List.of(other.toString(), rootfs.toString()), TestMounts.under(dir));
        store.unmount(id, false);
        assertEquals(List.of(other.toString()), TestMounts.under(dir));
        MountCalls.umount2(other.toString(), 0);
        Files.delete(other);

        // a forced unmount drops every use, and deleting unmounts too
        store.mount(id);
        store.mount(id);
        store.unmount(id, true);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals(0, mountCount(mountpoints, c.layer(), rootfs));
        store.mount(id);
        store.deleteContainer(id);
        assertFalse(MountCalls.isMountPoint(rootfs));
        assertEquals(List.of(), TestMounts.under(dir));
        assertEquals("[" + foreign + "]", Files.readString(mountpoints));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mountpoints)));
    }

    /** The count recorded for the layer (0 without a record); the record must name the merged directory. */
    private static int mountCount(Path mountpoints, String layer, Path merged) throws IOException {
        if (!Files.exists(mountpoints)) {
            return 0;
        }
        for (JsonNode n : new ObjectMapper().readTree(mountpoints.toFile())) {
            if (layer.equals(n.path("id").asText())) {
                assertEquals(merged.toString(), n.path("path").asText(), n.toString());
                assertTrue(n.path("count").asInt() > 0, n.toString());
                return n.path("count").asInt();
            }
        }
        return 0;
    }

    private static int mountsAt(Path mountPoint) throws IOException {
        int n = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.split(" ")[4].equals(mountPoint.toString())) {
                n++;
            }
        }
        return n;
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
