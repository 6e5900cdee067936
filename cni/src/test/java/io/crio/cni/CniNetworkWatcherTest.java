package io.crio.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniNetworkWatcherTest {

    @TempDir
    Path tmp;
    Path netDir;
    Path binDir;

    @BeforeEach
    void setUp() throws IOException {
        netDir = tmp.resolve("net.d");
        binDir = Files.createDirectories(tmp.resolve("bin"));
        plugin("bridge");
    }

    private void plugin(String name) throws IOException {
        Path p = binDir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String conflist(String name, String type) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"" + name + "\",\"plugins\":[{\"type\":\"" + type + "\"}]}";
    }

    private static String name(CniConfigLoader.Lookup l) {
        return l.network().map(NetworkConfigList::name).orElse("");
    }

    /** Polls until the watcher's network name satisfies {@code wanted}; the watch reports asynchronously. */
    private static void await(CniNetworkWatcher w, Predicate<String> wanted, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = name(w.current());
            if (wanted.test(last)) {
                return;
            }
            Thread.sleep(20);
        }
        fail("expected " + what + ", network is \"" + last + "\"");
    }

    @Test
    void changesInTheDirectoryAreSeen() throws Exception {
        Files.createDirectories(netDir);
        Files.writeString(netDir.resolve("20-b.conflist"), conflist("b", "bridge"));
        try (CniNetworkWatcher w = new CniNetworkWatcher(netDir, List.of(binDir), "")) {
            CniConfigLoader.Lookup first = w.current();
            assertEquals("b", name(first));
            assertSame(first, w.current(), "unchanged directory is not read again");

            Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "bridge"));
            await(w, "a"::equals, "the new, lexically first file");

            Files.writeString(netDir.resolve("10-a.conflist"), conflist("a2", "bridge"));
            await(w, "a2"::equals, "the modified file");

            Files.delete(netDir.resolve("10-a.conflist"));
            await(w, "b"::equals, "the remaining file");

            Files.delete(netDir.resolve("20-b.conflist"));
            await(w, String::isEmpty, "no network");
            assertTrue(w.current().problem().contains("No CNI configuration file"), w.current().problem());
        }
    }

    @Test
    void aDirectoryCreatedLaterIsPickedUp() throws Exception {
        try (CniNetworkWatcher w = new CniNetworkWatcher(netDir, List.of(binDir), "")) {
            assertEquals("", name(w.current()));
            Files.createDirectories(netDir);
            Files.writeString(netDir.resolve("20-b.conflist"), conflist("b", "bridge"));
            await(w, "b"::equals, "the network in the new directory");
            Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "bridge"));
            await(w, "a"::equals, "a file added to the now watched directory");

            Files.delete(netDir.resolve("10-a.conflist"));
            Files.delete(netDir.resolve("20-b.conflist"));
            Files.delete(netDir);
            await(w, String::isEmpty, "no network once the directory is gone");
            Files.createDirectories(netDir);
            Files.writeString(netDir.resolve("30-c.conflist"), conflist("c", "bridge"));
            await(w, "c"::equals, "the recreated directory");
        }
    }

    @Test
    void aPluginInstalledLaterMakesTheNetworkUsable() throws Exception {
        Files.createDirectories(netDir);
        Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "late"));
        try (CniNetworkWatcher w = new CniNetworkWatcher(netDir, List.of(binDir), "")) {
            assertTrue(w.current().problem().contains("late"), w.current().problem());
            plugin("late");
            assertEquals("a", name(w.current()));
        }
    }

    @Test
    void theDefaultNetworkIsChosenByName() throws Exception {
        Files.createDirectories(netDir);
        Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "bridge"));
        try (CniNetworkWatcher w = new CniNetworkWatcher(netDir, List.of(binDir), "b")) {
            assertEquals("", name(w.current()));
            Files.writeString(netDir.resolve("20-b.conflist"), conflist("b", "bridge"));
            await(w, "b"::equals, "the named network");
        }
    }

    @Test
    void afterCloseLookupsStillWork() throws Exception {
        Files.createDirectories(netDir);
        Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "bridge"));
        CniNetworkWatcher w = new CniNetworkWatcher(netDir, List.of(binDir), "");
        assertEquals("a", name(w.current()));
        w.close();
        Files.writeString(netDir.resolve("05-z.conflist"), conflist("z", "bridge"));
        assertEquals("z", name(w.current()));
    }
}
