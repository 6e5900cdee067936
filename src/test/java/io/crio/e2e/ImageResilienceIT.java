package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.AuthConfig;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.PullImageRequest;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.PushedImage;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls under adverse conditions, each with its own daemon: mirrors that fail or serve, bearer tokens, a
 * global auth file, and a daemon killed in the middle of a pull.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageResilienceIT {

    static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    RegistryServer origin;
    RegistryServer mirror;
    PushedImage onOriginOnly;
    PushedImage onMirrorOnly;

    @BeforeAll
    void registries() throws Exception {
        origin = RegistryServer.start();
        mirror = RegistryServer.start();
        onOriginOnly = FixtureImages.singleLayer(RegistryPusher.of(origin), "team/app", "origin");
        onMirrorOnly = FixtureImages.dockerSchema2(RegistryPusher.of(mirror), "team/app", "mirrored");
    }

    @AfterAll
    void stopRegistries() {
        if (origin != null) {
            origin.close();
        }
        if (mirror != null) {
            mirror.close();
        }
    }

    private static String pull(CriClient client, String image, AuthConfig auth) {
        PullImageRequest.Builder r = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image));
        if (auth != null) {
            r.setAuth(auth);
        }
        return client.images().withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(r.build()).getImageRef();
    }

    private CrioProcess daemon(Path d, String registriesConf, String... flags) throws Exception {
        Files.createDirectories(d);
        Path conf = d.resolve("registries.conf");
        Files.writeString(conf, registriesConf);
        return CrioProcess.start(d, Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString()), flags).awaitReady(START);
    }

    @Test
    void mirrorsAreTriedFirstAndTheRegistryIsTheFallback() throws Exception {
        String conf = """
                [[registry]]
                location = "%s"
                [[registry.mirror]]
                location = "%s"
                """.formatted(origin.url(), mirror.url());
        try (CrioProcess crio = daemon(dir.resolve("mirrors"), conf); CriClient client = new CriClient(crio.socket())) {
            // only the mirror has this tag: served from the mirror under the origin's name
            assertEquals(onMirrorOnly.imageId(), pull(client, origin.url() + "/team/app:mirrored", null));
            // the mirror lacks this one: the origin serves it
            assertEquals(onOriginOnly.imageId(), pull(client, origin.url() + "/team/app:origin", null));
            assertTrue(crio.log().contains("from " + mirror.url() + " failed"), crio.log());
        }
    }

    @Test
    void bearerTokenAuthentication() throws Exception {
        try (RegistryServer tokens = RegistryServer.withTokenAuth("bob", "builder").start()) {
            PushedImage img = FixtureImages.singleLayer(RegistryPusher.of(tokens), "secure/app", "1");
            try (CrioProcess crio = daemon(dir.resolve("tokens"), ""); CriClient client = new CriClient(crio.socket())) {
                String ref = img.reference(tokens.url());
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pull(client, ref, null));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
                assertEquals(img.imageId(), pull(client, ref,
                        AuthConfig.newBuilder().setUsername("bob").setPassword("builder").build()));
            }
        }
    }

    @Test
    void globalAuthFileIsUsedWhenThePullCarriesNoCredentials() throws Exception {
        try (RegistryServer locked = RegistryServer.withBasicAuth("carol", "secret").start()) {
            PushedImage img = FixtureImages.singleLayer(RegistryPusher.of(locked), "files/app", "1");
            Path auth = Files.createDirectories(dir.resolve("authfile")).resolve("auth.json");
            Files.writeString(auth, locked.authJson());
            try (CrioProcess crio = daemon(dir.resolve("authfile"), "", "--global-auth-file", auth.toString());
                 CriClient client = new CriClient(crio.socket())) {
                assertEquals(img.imageId(), pull(client, img.reference(locked.url()), null));
            }
        }
    }

    @Test
    void aStalledPullIsCancelledAfterPullProgressTimeoutAndLeavesNothing() throws Exception {
        PushedImage multi = FixtureImages.multiLayer(RegistryPusher.of(origin), "team/stalled", "1");
        Path d = Files.createDirectories(dir.resolve("stalled"));
        Files.writeString(d.resolve("crio.conf"), "[crio.image]\npull_progress_timeout = \"2s\"\n");
        try (SlowProxy frozen = new SlowProxy(origin.url(), 4096, 60_000);
             CrioProcess crio = daemon(d, ""); CriClient client = new CriClient(crio.socket())) {
            long t0 = System.nanoTime();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> pull(client, frozen.url() + "/team/stalled:1", null));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("no progress"), e.getStatus().getDescription());
            assertTrue(seconds < 30, "took " + seconds + " s");
            assertTrue(crio.log().contains("Pulling " + frozen.url() + "/team/stalled:1: "), "no progress line:\n" + crio.log());
            try (Stream<Path> s = Files.list(d.resolve("root/overlay"))) {
                assertEquals(List.of("l"), s.map(p -> p.getFileName().toString()).toList());
            }
            assertEquals(multi.imageId(), pull(client, multi.reference(origin.url()), null));
        }
    }

    @Test
    void aPullWhoseClientGivesUpIsCancelledAndCleanedUp() throws Exception {
        FixtureImages.multiLayer(RegistryPusher.of(origin), "team/abandoned", "1");
        Path d = dir.resolve("abandoned");
        try (SlowProxy slow = new SlowProxy(origin.url(), 8192, 200);
             CrioProcess crio = daemon(d, ""); CriClient client = new CriClient(crio.socket())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.images()
                    .withDeadlineAfter(2, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder()
                            .setImage(ImageSpec.newBuilder().setImage(slow.url() + "/team/abandoned:1")).build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            assertTrue(crio.awaitLog("every client cancelled it", Duration.ofSeconds(20)), crio.log());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<String> left;
            do {
                Thread.sleep(100);
                try (Stream<Path> s = Files.list(d.resolve("root/overlay"))) {
                    left = s.map(p -> p.getFileName().toString()).toList();
                }
            } while (!left.equals(List.of("l")) && System.nanoTime() < deadline);
            assertEquals(List.of("l"), left, "layers left by the cancelled pull");
        }
    }

    @Test
    void daemonKilledMidPullLeavesAStoreThatLoadsAndPullsAgain() throws Exception {
        PushedImage multi = FixtureImages.multiLayer(RegistryPusher.of(origin), "team/multi", "1");
        Path d = dir.resolve("killed");
        try (SlowProxy slow = new SlowProxy(origin.url(), 16 * 1024, 50)) {
            CrioProcess crio = daemon(d, "");
            CriClient client = new CriClient(crio.socket());
            CompletableFuture<Void> pull = CompletableFuture.runAsync(() -> {
                try {
                    pull(client, slow.url() + "/team/multi:1", null);
                } catch (StatusRuntimeException expected) {
                    // the daemon dies under it
                }
            });
            Path layers = d.resolve("root/overlay-layers/layers.json");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && !(Files.exists(layers) && Files.readString(layers).contains("incomplete"))) {
                Thread.sleep(20);
            }
            assertTrue(Files.readString(layers).contains("incomplete"), "the pull never started a layer:\n" + crio.log());
            crio.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            pull.get(30, TimeUnit.SECONDS);
            client.close();
        }
        try (CrioProcess again = CrioProcess.start(d, Map.of("CONTAINERS_REGISTRIES_CONF",
                d.resolve("registries.conf").toString())).awaitReady(START); CriClient client = new CriClient(again.socket())) {
            assertEquals(multi.imageId(), pull(client, multi.reference(origin.url()), null));
            JsonNode table = new ObjectMapper().readTree(d.resolve("root/overlay-layers/layers.json").toFile());
            for (JsonNode layer : table) {
                assertFalse(layer.toString().contains("incomplete"), "incomplete layer left: " + layer);
            }
            try (Stream<Path> s = Files.list(d.resolve("root/overlay"))) {
                long dirs = s.filter(p -> !p.getFileName().toString().equals("l")).count();
                assertEquals(table.size(), dirs, "layer directories and records differ");
            }
        }
    }
}
