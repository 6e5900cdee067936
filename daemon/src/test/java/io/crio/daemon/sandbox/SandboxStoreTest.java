package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxFilter;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PodSandboxState;
import io.crio.api.v1.PodSandboxStateValue;
import io.crio.daemon.server.CriException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxStoreTest {

    @TempDir
    Path dir;

    static SandboxRecord record(String id, String name, Map<String, String> labels, long created) {
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("ns").setUid("u"))
                .putAllLabels(labels)
                .putAnnotations("a", "b")
                .build();
        return new SandboxRecord(SandboxRecord.VERSION, id, SandboxRunner.name(config.getMetadata()), config.toByteArray(),
                "runc", created, true, "host", "/run/x/" + id + "/userdata", "/run/x/shm", true, "/r", "/h",
                Map.of("net", "/ns/netns/" + id), "", "", "net", true, List.of("10.0.0.2", "fd00::2"),
                Map.of("net.ipv4.ip_forward", "1"), "");
    }

    @Test
    void recordsSurviveARestartAndReserveTheirNames() throws Exception {
        SandboxStore store = new SandboxStore(dir, new NameRegistry());
        String id = Ids.newId();
        Sandbox sb = store.add(record(id, "web", Map.of("app", "web"), 5));
        store.update(sb, r -> r.withReady(false));

        NameRegistry names = new NameRegistry();
        SandboxStore reopened = new SandboxStore(dir, names);
        assertEquals(1, reopened.load().size());
        Sandbox back = reopened.get(id).orElseThrow();
        assertFalse(back.record().ready());
        assertEquals(List.of("10.0.0.2", "fd00::2"), back.record().ips());
        assertEquals("web", back.config().getMetadata().getName());
        assertEquals(Map.of("app", "web"), back.config().getLabelsMap());
        assertEquals(id, names.holder(back.name()).orElseThrow());
        // every write replaced the file whole: no temporary files stay behind
        try (var files = Files.list(dir)) {
            assertEquals(List.of(id + ".json"), files.map(p -> p.getFileName().toString()).toList());
        }

        reopened.delete(back);
        assertTrue(names.holder(back.name()).isEmpty());
        assertTrue(Files.notExists(dir.resolve(id + ".json")));
    }

    @Test
    void findsByUniquePrefixOnly() throws Exception {
        SandboxStore store = new SandboxStore(dir, new NameRegistry());
        store.add(record("abc1" + "0".repeat(60), "a", Map.of(), 1));
        store.add(record("abc2" + "0".repeat(60), "b", Map.of(), 2));
        assertEquals("b", store.find("abc2").orElseThrow().config().getMetadata().getName());
        assertTrue(store.find("ffff").isEmpty());
        CriException e = assertThrows(CriException.class, () -> store.find("abc"));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void listFiltersByIdStateAndLabels() throws Exception {
        SandboxStore store = new SandboxStore(dir, new NameRegistry());
        Sandbox a = store.add(record("aa" + "0".repeat(62), "a", Map.of("app", "web", "tier", "fe"), 1));
        store.add(record("ab" + "0".repeat(62), "b", Map.of("app", "web"), 2));
        store.add(record("bb" + "0".repeat(62), "c", Map.of("app", "db"), 3));
        store.update(a, r -> r.withReady(false));

        assertEquals(List.of("a", "b", "c"), names(store, PodSandboxFilter.getDefaultInstance()));
        assertEquals(List.of("c"), names(store, PodSandboxFilter.newBuilder().setId("bb").build()));
        assertEquals(List.of(), names(store, PodSandboxFilter.newBuilder().setId("a").build()));
        assertEquals(List.of("a"), names(store, PodSandboxFilter.newBuilder().setState(
                PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_NOTREADY)).build()));
        assertEquals(List.of("a", "b"), names(store, PodSandboxFilter.newBuilder().putLabelSelector("app", "web").build()));
        assertEquals(List.of("a"), names(store, PodSandboxFilter.newBuilder().putLabelSelector("app", "web")
                .putLabelSelector("tier", "fe").build()));
        assertEquals(List.of("b"), names(store, PodSandboxFilter.newBuilder().putLabelSelector("app", "web")
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY)).build()));
    }

    private static List<String> names(SandboxStore store, PodSandboxFilter filter) {
        return SandboxViews.list(store, filter, r -> false).stream().map(p -> p.getMetadata().getName()).toList();
    }
}
