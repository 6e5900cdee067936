package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store is containers/storage compatible: Debian's podman (4.3, containers/storage 1.43) lists and runs
 * an image this store wrote, waits for our locks, and its own changes are seen by us.
 *
 * <p>Host notes (this test pins what the host needs, not what the store needs): crun refuses hybrid
 * cgroup v1/v2 hosts, so runc is used; without CAP_SYS_RESOURCE, podman's default RLIMIT_NOFILE/NPROC
 * (raised to the kernel maximum) cannot be applied, so the run passes lower limits explicitly.
 */
class PodmanInteropTest {

    private static final String NAME = "localhost/interop:latest";

    Path root;
    Path g;
    Path r;
    ContainersStore store;

    @BeforeEach
    void setUp() throws IOException {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman must be installed for this test");
        assertTrue(Files.isRegularFile(Path.of("/bin/busybox")), "busybox-static must be installed for this test");
        root = Files.createTempDirectory("crio-storage-interop");
        g = root.resolve("graph");
        r = root.resolve("run");
        store = ContainersStore.open(g, r);
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
        podman(List.of("rm", "-af"), 120);
        unmountUnder(root);
        deleteTree(root);
    }

    @Test
    @SuppressWarnings("try")
    void podmanListsRunsAndSharesTheStore() throws Exception {
        // a one-layer busybox image, written the way the pull pipeline writes one
        TestImages.Layer layer = TestImages.busyboxLayer();
        String layerId = ContainersStore.layerId(null, layer.diffDigest());
        try (PendingLayer p = store.beginLayer(layerId, null)) {
            TestImages.writeBusyboxFiles(p.diffDir());
            p.commit(layer.diffDigest(), layer.size(), layer.diffDigest(), layer.size());
        }
        TestImages.Image img = TestImages.image(List.of(layer), "/bin/sh");
        store.putImage(img.id(), layerId, List.of(NAME), List.of(img.manifestDigest()), img.bigData(), Instant.now());

        Result images = podman(List.of("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"), 120);
        assertEquals(0, images.exit(), images.output());
        assertTrue(images.output().lines().anyMatch(l -> l.equals(NAME + " " + img.id().substring(0, 12))), images.output());

        Result inspect = podman(List.of("image", "inspect", "--format", "{{.Id}} {{.Digest}} {{.RootFS.Layers}}", NAME), 120);
        assertEquals(0, inspect.exit(), inspect.output());
        assertEquals(img.id() + " " + img.manifestDigest() + " [" + layer.diffDigest() + "]", inspect.output().strip());

        // podman waits while we hold the image store's lock for writing
        LockFile imagesLock = LockFile.of(g.resolve("overlay-images/images.lock"));
        Process blocked;
        try (LockFile.Hold h = imagesLock.exclusive()) {
            blocked = start(List.of("images", "--quiet"));
            assertFalse(blocked.waitFor(3, TimeUnit.SECONDS), "podman must wait for our write lock");
        }
        assertTrue(blocked.waitFor(120, TimeUnit.SECONDS), "podman continues once we release the lock");
        assertEquals(0, blocked.exitValue());

        Result run = podman(List.of("run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024",
                "--ulimit", "nproc=1024:1024", NAME, "/bin/busybox", "true"), 300);
        assertEquals(0, run.exit(), "podman run: " + run.output());
        Result echo = podman(List.of("run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024",
                "--ulimit", "nproc=1024:1024", NAME, "/bin/sh", "-c", "echo hello from $(/bin/busybox uname -s)"), 300);
        assertEquals(0, echo.exit(), "podman run: " + echo.output());
        assertTrue(echo.output().contains("hello from Linux"), echo.output());

        // what podman changes, we see: a new tag, then a container that holds the image
        Result tag = podman(List.of("tag", NAME, "localhost/interop:v2"), 120);
        assertEquals(0, tag.exit(), tag.output());
        assertTrue(store.image(img.id()).orElseThrow().names().contains("localhost/interop:v2"));
        Result create = podman(List.of("create", "--name", "holder", NAME, "/bin/busybox", "true"), 120);
        assertEquals(0, create.exit(), create.output());
        try {
            store.removeImage(img.id());
            fail("an image a podman container uses must not be removed");
        } catch (ImageInUseException expected) {
            // the container's layer sits on our layer, and its record names our image
        }
        assertEquals(0, podman(List.of("rm", "holder"), 120).exit());

        assertTrue(store.removeImage(img.id()));
        Result after = podman(List.of("images", "--quiet"), 120);
        assertEquals(0, after.exit(), after.output());
        assertEquals("", after.output().strip());
        assertFalse(Files.exists(g.resolve("overlay").resolve(layerId)));
    }

    @Test
    void podmanListsOurContainers() throws Exception {
        TestImages.Layer layer = TestImages.busyboxLayer();
        String layerId = ContainersStore.layerId(null, layer.diffDigest());
        try (PendingLayer p = store.beginLayer(layerId, null)) {
            TestImages.writeBusyboxFiles(p.diffDir());
            p.commit(layer.diffDigest(), layer.size(), layer.diffDigest(), layer.size());
        }
        TestImages.Image img = TestImages.image(List.of(layer), "/bin/sh");
        store.putImage(img.id(), layerId, List.of(NAME), List.of(img.manifestDigest()), img.bigData(), Instant.now());
        String id = "c".repeat(8) + img.id().substring(8);
        store.createContainer(id, List.of("k8s_POD_interop"), img.id(), "{}");

        String second = "d".repeat(8) + img.id().substring(8);
        ContainerRecord removedByPodman = store.createContainer(second, List.of("k8s_other"), img.id(), "{}");

        Result ps = podman(List.of("ps", "--all", "--external", "--no-trunc", "--format", "{{.ID}} {{.Names}}"), 120);
        assertEquals(0, ps.exit(), ps.output());
        assertTrue(ps.output().lines().anyMatch(l -> l.equals(id + " k8s_POD_interop")), ps.output());
        assertTrue(ps.output().lines().anyMatch(l -> l.equals(second + " k8s_other")), ps.output());
        Result ids = podman(List.of("ps", "--all", "--external", "--format", "{{.ID}}"), 120);
        assertEquals(0, ids.exit(), ids.output());
        assertTrue(ids.output().lines().anyMatch(l -> l.equals(id.substring(0, 12))), ids.output());

        // a podman command while our containers are mounted leaves their mounts alone and in sight: it finds
        // the driver's home mounted already (no bind of its own over our mounts) and our mount counts
        Path rootfs = store.mount(id);
        Result psWhileMounted = podman(List.of("ps", "--all", "--external", "--quiet"), 120);
        assertEquals(0, psWhileMounted.exit(), psWhileMounted.output());
        assertTrue(io.crio.sys.MountCalls.isMountPoint(rootfs));
        assertTrue(Files.isRegularFile(rootfs.resolve("bin/busybox")), "the image's files are still seen through the mount");
        assertEquals(List.of(g.resolve("overlay").toString(), rootfs.toString()), TestMounts.under(root));
        store.unmount(id, false);
        assertEquals(List.of(), TestMounts.under(root));

        // podman reads our mount counts: it refuses to remove a mounted container unless forced, and then
        // unmounts the root file system itself; we see the container gone with its layer
        Path merged = store.mount(second);
        Result refused = podman(List.of("rm", "--storage", second), 120);
        assertTrue(refused.exit() != 0 && refused.output().contains("mounted"), refused.output());
        Result rm = podman(List.of("rm", "--storage", "--force", second), 120);
        assertEquals(0, rm.exit(), rm.output());
        assertFalse(io.crio.sys.MountCalls.isMountPoint(merged), "podman unmounted the root file system");
        assertEquals(List.of(), TestMounts.under(root), "and, with nothing mounted, the home's bind");
        assertTrue(store.container(second).isEmpty());
        assertTrue(store.layer(removedByPodman.layer()).isEmpty());
        assertFalse(Files.exists(g.resolve("overlay").resolve(removedByPodman.layer())));

        store.deleteContainer(id);
        Result after = podman(List.of("ps", "--all", "--external", "--quiet"), 120);
        assertEquals(0, after.exit(), after.output());
        assertEquals("", after.output().strip());
        assertTrue(store.removeImage(img.id()), "no container holds the image any more");
    }

    record Result(int exit, String output) {}

    private List<String> podmanCommand(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("podman", "--root", g.toString(), "--runroot", r.toString(),
                "--storage-driver", "overlay", "--tmpdir", root.resolve("podman-tmp").toString(),
                "--cgroup-manager", "cgroupfs", "--runtime", "runc", "--events-backend", "none"));
        cmd.addAll(args);
        return cmd;
    }

    private Process start(List<String> args) throws IOException {
        return new ProcessBuilder(podmanCommand(args)).redirectErrorStream(true)
                .redirectOutput(root.resolve("podman-" + System.nanoTime() + ".log").toFile()).start();
    }

    private Result podman(List<String> args, int timeoutSeconds) throws Exception {
        Path log = root.resolve("podman-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(podmanCommand(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("podman " + args + " did not finish in " + timeoutSeconds + " s: " + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Result(p.exitValue(), out);
    }

    /** Unmounts whatever podman or the test left mounted below {@code dir}, deepest first. */
    private static void unmountUnder(Path dir) throws Exception {
        TestMounts.unmountAll(dir);
    }

    private static void deleteTree(Path dir) throws IOException {
        OverlayDriver.deleteTree(dir);
    }
}
