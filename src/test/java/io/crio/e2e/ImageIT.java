package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.AuthConfig;
import io.crio.api.v1.Image;
import io.crio.api.v1.ImageFilter;
import io.crio.api.v1.ImageFsInfoRequest;
import io.crio.api.v1.ImageFsInfoResponse;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.ImageStatusRequest;
import io.crio.api.v1.ImageStatusResponse;
import io.crio.api.v1.ListImagesRequest;
import io.crio.api.v1.PullImageRequest;
import io.crio.api.v1.RemoveImageRequest;
import io.crio.e2e.registry.CorruptingProxy;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.MaliciousImage;
import io.crio.e2e.registry.PushedImage;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ImageService end to end: the real daemon pulls from Debian's docker-registry on 127.0.0.1 into its
 * overlay store, as kubelet and crictl would ask.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageIT {

    static final Duration START = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    RegistryServer registry;
    RegistryServer locked;
    RegistryPusher pusher;
    CrioProcess crio;
    CriClient client;
    PushedImage single;
    PushedImage docker;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        locked = RegistryServer.withBasicAuth("alice", "wonderland").start();
        pusher = RegistryPusher.of(registry);
        single = FixtureImages.singleLayer(pusher, "e2e/busybox", "1");
        docker = FixtureImages.dockerSchema2(pusher, "e2e/docker", "1");
        FixtureImages.singleLayer(RegistryPusher.of(locked), "private/busybox", "1");
        Path conf = dir.resolve("registries.conf");
        Files.writeString(conf, "unqualified-search-registries = [\"" + registry.url() + "\"]\n");
        crio = CrioProcess.start(dir, Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString()),
                "--pause-image", single.reference(registry.url())).awaitReady(START);
        client = new CriClient(crio.socket());
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (crio != null) {
            crio.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (locked != null) {
            locked.close();
        }
    }

    private String pull(String image) {
        return client.images().withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).build()).getImageRef();
    }

    private ImageStatusResponse status(String image, boolean verbose) {
        return client.images().imageStatus(ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).setVerbose(verbose).build());
    }

    private List<Image> list() {
        return client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
    }

    private void remove(String image) {
        client.images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
    }

    private Path root() {
        return dir.resolve("root");
    }

    /** Layer directories in the store. */
    private List<String> layerDirs() throws Exception {
        Path overlay = root().resolve("overlay");
        if (!Files.isDirectory(overlay)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(overlay)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("l")).sorted().toList();
        }
    }

    @Test
    void pullThenStatusListAndLookupsByEveryKindOfName() throws Exception {
        String ref = pull(single.reference(registry.url()));
        assertEquals(single.imageId(), ref);
        String name = single.reference(registry.url());
        for (String lookup : List.of(name, ref, "sha256:" + ref, ref.substring(0, 12), single.digestReference(registry.url()))) {
            Image img = status(lookup, false).getImage();
            assertEquals(ref, img.getId(), "looked up as " + lookup);
        }
        Image img = status(name, false).getImage();
        assertTrue(img.getRepoTagsList().contains(name), img.toString());
        assertTrue(img.getRepoDigestsList().contains(single.digestReference(registry.url())), img.toString());
        assertTrue(img.getSize() > 500_000, "size " + img.getSize());
        assertFalse(img.hasUid(), "the fixture has no User");
        assertTrue(list().stream().anyMatch(i -> i.getId().equals(ref)));
        assertEquals(1, client.images().listImages(ListImagesRequest.newBuilder()
                .setFilter(ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(name))).build()).getImagesCount());
        JsonNode info = new ObjectMapper().readTree(status(name, true).getInfoOrThrow("info"));
        assertEquals("amd64", info.path("imageSpec").path("architecture").asText());
    }

    @Test
    void absentImagesHaveNoStatusAndBadNamesAreInvalid() {
        assertFalse(status(registry.url() + "/nothing/here:1", false).hasImage());
        assertFalse(status("f".repeat(64), false).hasImage());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pull("Not A Valid:Ref"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                () -> pull(registry.url() + "/e2e/absent:1"));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    }

    @Test
    void dockerSchema2WithNumericUser() {
        String ref = pull(docker.reference(registry.url()));
        Image img = status(ref, false).getImage();
        assertEquals(1000, img.getUid().getValue());
        assertEquals("", img.getUsername());
        assertFalse(img.getPinned());
    }

    @Test
    void thePauseImageIsPinned() {
        String ref = pull(single.reference(registry.url()));
        assertTrue(status(ref, false).getImage().getPinned());
    }

    @Test
    void shortNamesUseTheSearchRegistries() {
        PushedImage p = single;
        String ref = pull("e2e/busybox:1");
        assertEquals(p.imageId(), ref);
        assertEquals(ref, status("e2e/busybox:1", false).getImage().getId());
    }

    @Test
    void multiLayerImagesKeepWhiteoutsAndOpaqueDirectories() throws Exception {
        PushedImage multi = FixtureImages.multiLayer(pusher, "e2e/multi", "1");
        String ref = pull(multi.reference(registry.url()));
        assertEquals(multi.imageId(), ref);
        boolean whiteout = false;
        boolean opaque = false;
        for (String layer : layerDirs()) {
            Path diff = root().resolve("overlay").resolve(layer).resolve("diff");
            Path del = diff.resolve("del");
            if (Files.exists(del, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Object rdev = Files.getAttribute(del, "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS);
                whiteout |= !Files.isRegularFile(del, java.nio.file.LinkOption.NOFOLLOW_LINKS) && ((Long) rdev) == 0L;
            }
            if (Files.isDirectory(diff.resolve("opq")) && Files.exists(diff.resolve("opq/new"))) {
                byte[] value = io.crio.sys.FileCalls.lgetxattr(diff.resolve("opq").toString(), "trusted.overlay.opaque");
                opaque |= value != null && new String(value).equals("y");
            }
        }
        assertTrue(whiteout, "no overlay whiteout for /del in " + layerDirs());
        assertTrue(opaque, "no opaque xattr on /opq");
    }

    @Test
    void indexPicksTheHostPlatformAndAMissingPlatformIsClear() throws Exception {
        PushedImage idx = FixtureImages.index(pusher, "e2e/index", "1");
        assertEquals(idx.imageId(), pull(idx.reference(registry.url())));
        // the index digest names the image too: kubelet asks for what it pulled
        assertEquals(idx.imageId(), status(idx.digestReference(registry.url()), false).getImage().getId());
        PushedImage other = FixtureImages.indexWithoutAmd64(pusher, "e2e/noamd64", "1");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pull(other.reference(registry.url())));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("linux/amd64"), e.getStatus().getDescription());
    }

    @Test
    void zstdLayers() throws Exception {
        PushedImage z = FixtureImages.zstdLayer(pusher, "e2e/zstd", "1");
        assertEquals(z.imageId(), pull(z.reference(registry.url())));
    }

    @ParameterizedTest
    @EnumSource(MaliciousImage.Escape.class)
    void maliciousLayersFailAndLeaveTheHostAndStoreUntouched(MaliciousImage.Escape kind) throws Exception {
        List<String> before = layerDirs();
        try (MaliciousImage evil = FixtureImages.malicious(pusher, "e2e/evil-" + kind.name().toLowerCase(), "1", kind)) {
            String ref = evil.image().reference(registry.url());
            if (kind == MaliciousImage.Escape.ABSOLUTE) {
                // absolute names are neutralised (made relative to the layer), as Docker does
                pull(ref);
                assertEquals(List.of(), evil.violations(root().resolve("overlay")), "escape with " + kind);
                remove(ref);
            } else {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pull(ref));
                assertTrue(e.getStatus().getDescription().contains("layer"), e.getStatus().getDescription());
                assertEquals(List.of(), evil.violations(root().resolve("overlay")), "escape with " + kind);
                assertFalse(status(ref, false).hasImage());
            }
            assertEquals(before, layerDirs(), "the pull left layers behind");
        }
    }

    @Test
    void digestMismatchesFailCleanly() throws Exception {
        List<String> before = layerDirs();
        PushedImage bad = FixtureImages.badDigest(pusher, "e2e/baddiff", "1");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pull(bad.reference(registry.url())));
        assertTrue(e.getStatus().getDescription().contains("sha256:"), e.getStatus().getDescription());
        try (CorruptingProxy proxy = CorruptingProxy.start(registry)) {
            PushedImage corrupt = FixtureImages.corruptedBlob(pusher, proxy, "e2e/corrupt", "1");
            StatusRuntimeException c = assertThrows(StatusRuntimeException.class, () -> pull(corrupt.reference(proxy.url())));
            assertTrue(c.getStatus().getDescription().contains("digest"), c.getStatus().getDescription());
            // the top layer of a multi-layer image is corrupt: the layers below it, already stored, go too
            PushedImage multi = FixtureImages.large(pusher, "e2e/corrupt-top", "1", 3, 3L * 1024 * 1024);
            proxy.corruptBlob(multi.layerDigests().get(multi.layerDigests().size() - 1));
            assertThrows(StatusRuntimeException.class, () -> pull(multi.reference(proxy.url())));
        }
        assertEquals(before, layerDirs());
    }

    @Test
    void authenticationFailuresAndCredentials() {
        String ref = locked.url() + "/private/busybox:1";
        StatusRuntimeException anonymous = assertThrows(StatusRuntimeException.class, () -> pull(ref));
        assertEquals(Status.Code.UNAUTHENTICATED, anonymous.getStatus().getCode());
        StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> client.images()
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref))
                        .setAuth(AuthConfig.newBuilder().setUsername("alice").setPassword("nope")).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
        String id = client.images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref))
                .setAuth(AuthConfig.newBuilder().setUsername("alice").setPassword("wonderland")).build()).getImageRef();
        assertEquals(64, id.length());
    }

    @Test
    void concurrentIdenticalPullsShareOneResult() throws Exception {
        PushedImage img = FixtureImages.multiLayer(pusher, "e2e/concurrent", "1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Callable<String> c = () -> pull(img.reference(registry.url()));
                results.add(pool.submit(c));
            }
            for (Future<String> f : results) {
                assertEquals(img.imageId(), f.get(120, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void removeByTagIsIdempotentAndRetagMovesTheName() throws Exception {
        PushedImage v1 = FixtureImages.singleLayer(pusher, "e2e/retag", "latest");
        String first = pull(v1.reference(registry.url()));
        PushedImage v2 = FixtureImages.dockerSchema2(pusher, "e2e/retag", "latest");
        String second = pull(v2.reference(registry.url()));
        assertNotEquals(first, second);
        Image old = status(first, false).getImage();
        assertFalse(old.getRepoTagsList().contains(v1.reference(registry.url())), old.toString());
        assertTrue(old.getRepoDigestsList().contains(v1.digestReference(registry.url())), old.toString());
        remove(v2.reference(registry.url()));
        assertFalse(status(second, false).hasImage());
        remove(v2.reference(registry.url()));
        remove(first);
        assertFalse(status(first, false).hasImage());
    }

    @Test
    void imageFsInfoReportsTheStore() {
        pull(single.reference(registry.url()));
        ImageFsInfoResponse fs = client.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
        assertEquals(1, fs.getImageFilesystemsCount());
        assertTrue(fs.getImageFilesystems(0).getUsedBytes().getValue() > 500_000);
        assertTrue(fs.getImageFilesystems(0).getInodesUsed().getValue() > 3);
        assertTrue(fs.getImageFilesystems(0).getFsId().getMountpoint().startsWith(root().toString()));
        assertTrue(fs.getImageFilesystems(0).getTimestamp() > 0);
    }

    @Test
    void podmanSeesThePulledImages() throws Exception {
        pull(single.reference(registry.url()));
        Process p = new ProcessBuilder("podman", "--root", root().toString(), "--runroot", dir.resolve("runroot").toString(),
                "--storage-driver", "overlay", "--events-backend", "none", "--cgroup-manager", "cgroupfs",
                "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains(single.reference(registry.url())), out);
        assertTrue(out.contains(single.imageId().substring(0, 12)), out);
    }
}
