package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerStoreTest {

    @TempDir
    Path dir;

    ContainerState state(String id, int pid) {
        return new ContainerState(ContainerState.VERSION, id, "k8s_c_p_ns_uid_0", "pod", new byte[0], "img", "name:1",
                "ref", "runc", 1, 0, 0, 0, ContainerState.CREATED, "", "", "/log", dir.resolve("bundle").toString(), pid,
                "", new byte[0]);
    }

    @Test
    void aCreatePersistsFirstAndRegistersThePidAfterwards() throws Exception {
        ContainerStore store = new ContainerStore(dir.resolve("states"));
        String id = "a".repeat(64);
        assertThrows(IllegalArgumentException.class, () -> store.persist(state(id, 7)));
        store.persist(state(id, 0));
        assertTrue(store.get(id).isEmpty(), "persisting does not record the container yet");
        Path file = dir.resolve("states").resolve(id + ".json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        store.register(state(id, 4242));
        assertEquals(4242, store.get(id).orElseThrow().state().pid());
        // a restart before any further change reads the pid from the runtime's pidfile
        Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(dir.resolve("bundle/pidfile"), "4242");
        ContainerStore reloaded = new ContainerStore(dir.resolve("states"));
        reloaded.load();
        assertEquals(4242, reloaded.get(id).orElseThrow().state().pid());
        // the next change writes it
        store.update(store.get(id).orElseThrow(), s -> s.started(5));
        Files.delete(dir.resolve("bundle/pidfile"));
        ContainerStore again = new ContainerStore(dir.resolve("states"));
        again.load();
        assertEquals(4242, again.get(id).orElseThrow().state().pid());
        assertEquals(ContainerState.RUNNING, again.get(id).orElseThrow().state().status());
        assertThrows(IllegalStateException.class, () -> store.discard(id), "a recorded container is deleted, not discarded");
    }

    @Test
    void discardRemovesTheStateFileOfAFailedCreate() throws Exception {
        ContainerStore store = new ContainerStore(dir.resolve("states"));
        String id = "b".repeat(64);
        store.persist(state(id, 0));
        store.discard(id);
        assertFalse(Files.exists(dir.resolve("states").resolve(id + ".json")));
        store.discard(id);
        ContainerStore reloaded = new ContainerStore(dir.resolve("states"));
        reloaded.load();
        assertTrue(reloaded.get(id).isEmpty());
    }
}
