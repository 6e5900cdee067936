package io.crio.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniConfigLoaderTest {

    @TempDir
    Path tmp;
    Path netDir;
    Path binDir;
    CniConfigLoader loader;

    @BeforeEach
    void setUp() throws IOException {
        netDir = Files.createDirectories(tmp.resolve("net.d"));
        binDir = Files.createDirectories(tmp.resolve("bin"));
        plugin("bridge");
        plugin("portmap");
        loader = new CniConfigLoader(netDir, List.of(tmp.resolve("missing-bin"), binDir));
    }

    private void plugin(String name) throws IOException {
        Path p = binDir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String conflist(String name, String... types) {
        StringBuilder sb = new StringBuilder("{\"cniVersion\":\"1.0.0\",\"name\":\"" + name + "\",\"plugins\":[");
        for (int i = 0; i < types.length; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"type\":\"").append(types[i]).append("\"}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void emptyOrMissingDirectoryHasNoNetwork() throws IOException {
        CniConfigLoader.Lookup l = loader.findDefault("");
        assertTrue(l.network().isEmpty());
        assertTrue(l.problem().contains("No CNI configuration file in " + netDir), l.problem());
        Files.delete(netDir);
        assertTrue(loader.findDefault("").network().isEmpty());
    }

    @Test
    void picksTheLexicallyFirstUsableFile() throws IOException {
        Files.writeString(netDir.resolve("20-b.conflist"), conflist("second", "bridge"));
        Files.writeString(netDir.resolve("10-a.conflist"), conflist("first", "bridge", "portmap"));
        Files.writeString(netDir.resolve("05-notes.txt"), "not a config");
        NetworkConfigList n = loader.findDefault("").network().orElseThrow();
        assertEquals("first", n.name());
        assertEquals(List.of("bridge", "portmap"), n.pluginTypes());
    }

    @Test
    void skipsInvalidFilesAndThoseWithMissingPlugins() throws IOException {
        Files.writeString(netDir.resolve("01-broken.conflist"), "{ not json");
        Files.writeString(netDir.resolve("02-noplugin.conflist"), conflist("ghost", "does-not-exist"));
        Files.writeString(netDir.resolve("03-single.conf"),
                "{\"cniVersion\":\"0.4.0\",\"name\":\"single\",\"type\":\"bridge\"}");
        NetworkConfigList n = loader.findDefault("").network().orElseThrow();
        assertEquals("single", n.name());
        assertEquals(List.of("bridge"), n.pluginTypes());
    }

    @Test
    void missingPluginIsReportedWhenNothingElseIsUsable() throws IOException {
        Files.writeString(netDir.resolve("10.conflist"), conflist("ghost", "does-not-exist"));
        CniConfigLoader.Lookup l = loader.findDefault("");
        assertTrue(l.network().isEmpty());
        assertTrue(l.problem().contains("does-not-exist"), l.problem());
    }

    @Test
    void namedNetworkIsChosenByName() throws IOException {
        Files.writeString(netDir.resolve("10-a.conflist"), conflist("a", "bridge"));
        Files.writeString(netDir.resolve("20-b.conflist"), conflist("b", "bridge"));
        assertEquals("b", loader.findDefault("b").network().orElseThrow().name());
        assertTrue(loader.findDefault("c").problem().contains("\"c\""));
    }

    @Test
    void rejectsConfigurationsWithoutNameOrPluginType() throws IOException {
        Path f = netDir.resolve("x.conflist");
        Files.writeString(f, "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"bridge\"}]}");
        assertTrue(assertThrows(CniConfigException.class, () -> CniConfigLoader.load(f)).getMessage().contains("name"));
        Files.writeString(f, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{}]}");
        assertTrue(assertThrows(CniConfigException.class, () -> CniConfigLoader.load(f)).getMessage().contains("type"));
        Files.writeString(f, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}");
        assertThrows(CniConfigException.class, () -> CniConfigLoader.load(f));
    }

    @Test
    void pluginNamesCannotEscapeThePluginDirectories() {
        assertTrue(loader.findPlugin("../bin/bridge").isEmpty());
        assertTrue(loader.findPlugin("bridge").isPresent());
    }
}
