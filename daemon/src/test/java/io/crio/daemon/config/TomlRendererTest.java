package io.crio.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TomlRendererTest {

    @TempDir
    Path tmp;

    private LoadedConfig loadFile(String text) throws IOException, ConfigException {
        Path f = tmp.resolve("crio-" + System.nanoTime() + ".conf");
        Files.writeString(f, text);
        return ConfigLoader.load(new ConfigLoader.Request(f, true, null, null, null));
    }

    @Test
    void defaultRenderingLoadsBackToTheDefaults() throws Exception {
        String text = TomlRenderer.render(CrioConfig.defaults(), CrioConfig.defaults());
        LoadedConfig back = loadFile(text);
        assertEquals(CrioConfig.defaults(), back.config());
        assertTrue(back.warnings().isEmpty(), back.warnings().toString());
        // every option is documented but commented out
        assertTrue(text.contains("# log_level = \"info\""), text);
        assertTrue(text.contains("[crio.runtime.runtimes.runc]"), text);
    }

    @Test
    void changedValuesRenderUncommentedAndRoundTrip() throws Exception {
        LoadedConfig custom = loadFile("""
                [crio.runtime]
                log_level = "debug"
                default_runtime = "kata"
                pids_limit = 2048
                default_capabilities = ["CHOWN", "KILL"]
                [crio.runtime.runtimes.kata]
                runtime_path = "/opt/kata/bin/kata \\"quoted\\""
                runtime_type = "oci"
                [crio.runtime.runtimes.runc]
                runtime_root = "/run/runc"
                [crio.network]
                plugin_dirs = ["/a", "/b"]
                """);
        String text = TomlRenderer.render(custom.config(), CrioConfig.defaults());
        assertTrue(text.contains("\nlog_level = \"debug\""), text);
        assertTrue(text.contains("[crio.runtime.runtimes.kata]"), text);
        assertFalse(text.contains("\n# default_runtime = \"kata\""), text);
        // a redefined handler is written whole, even its values that equal the built-in ones
        assertTrue(text.contains("\n[crio.runtime.runtimes.runc]\n"), text);
        assertTrue(text.contains("\nruntime_root = \"/run/runc\"\n"), text);
        assertTrue(text.contains("\n# [crio.runtime.runtimes.crun]\n"), text);
        LoadedConfig back = loadFile(text);
        assertEquals(custom.config(), back.config());
    }

    @Test
    void roundTripHoldsOnAHostWithoutSystemd() throws Exception {
        ConfigSource host = HostDefaults.detect(tmp.resolve("no-systemd"));
        Path f = tmp.resolve("explicit.conf");
        Files.writeString(f, "[crio.runtime]\ncgroup_manager = \"systemd\"\n");
        CrioConfig loaded = ConfigLoader.load(new ConfigLoader.Request(f, true, null, null, host)).config();
        CrioConfig base = ConfigLoader.layer(java.util.List.of(host)).config();
        String text = TomlRenderer.render(loaded, base);
        assertTrue(text.contains("\ncgroup_manager = \"systemd\"\n"), text);
        Path back = tmp.resolve("back.conf");
        Files.writeString(back, text);
        assertEquals(loaded, ConfigLoader.load(new ConfigLoader.Request(back, true, null, null, host)).config());
    }

    @Test
    void shippedConfigFileMatchesTheDefaults() throws IOException {
        Path shipped = Path.of("..", "config", "crio.conf");
        assertTrue(Files.exists(shipped), "config/crio.conf is missing; generate it with `crio config --default`");
        assertEquals(TomlRenderer.render(CrioConfig.defaults(), CrioConfig.defaults()), Files.readString(shipped),
                "config/crio.conf differs from `crio config --default`; regenerate it");
    }

    @Test
    void stringsAndKeysAreEscaped() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", TomlRenderer.quote("a\"b\\c\nd\u0001"));
        assertEquals("plain_key-1", TomlRenderer.quoteKey("plain_key-1"));
        assertEquals("\"io.kubernetes/x\"", TomlRenderer.quoteKey("io.kubernetes/x"));
    }
}
