package io.crio.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path tmp;
    Path mainFile;
    Path dropIns;

    @BeforeEach
    void setUp() throws IOException {
        mainFile = tmp.resolve("crio.conf");
        dropIns = Files.createDirectories(tmp.resolve("crio.conf.d"));
    }

    private LoadedConfig load(ObjectNode flags) throws ConfigException {
        return ConfigLoader.load(new ConfigLoader.Request(mainFile, false, dropIns, flags, null));
    }

    private LoadedConfig load() throws ConfigException {
        return load(ConfigMapper.TREES.createObjectNode());
    }

    @Test
    void noFilesMeansBuiltInDefaults() throws ConfigException {
        LoadedConfig loaded = load();
        assertEquals(CrioConfig.defaults(), loaded.config());
        assertTrue(loaded.sources().isEmpty());
        assertEquals(ConfigLoader.BUILT_IN, loaded.originOf("crio.runtime.log_level"));
    }

    @Test
    void explicitlyNamedFileMustExist() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(
                new ConfigLoader.Request(tmp.resolve("nope.conf"), true, null, null, null)));
        assertTrue(e.getMessage().contains("nope.conf"), e.getMessage());
    }

    @Test
    void fileThenDropInsInLexicalOrderThenFlags() throws Exception {
        Files.writeString(mainFile, """
                [crio.api]
                listen = "/from/main.sock"
                [crio.runtime]
                log_level = "debug"
                pids_limit = 100
                """);
        Files.writeString(dropIns.resolve("10-first.conf"), "[crio.runtime]\nlog_level = \"warn\"\npids_limit = 200\n");
        Files.writeString(dropIns.resolve("20-second.conf"), "[crio.runtime]\nlog_level = \"error\"\n");
        Files.writeString(dropIns.resolve("9-last-lexically.conf"), "[crio.runtime]\npids_limit = 300\n");
        Files.writeString(dropIns.resolve("99-ignored.toml"), "[crio.runtime]\nlog_level = \"trace\"\n");
        ObjectNode flags = ConfigMapper.TREES.createObjectNode();
        ConfigTrees.set(flags, "crio.api.listen", TextNode.valueOf("/from/flag.sock"));

        LoadedConfig loaded = load(flags);

        assertEquals("error", loaded.config().crio().runtime().logLevel());
        assertEquals(300, loaded.config().crio().runtime().pidsLimit());
        assertEquals("/from/flag.sock", loaded.config().crio().api().listen());
        assertEquals(dropIns.resolve("20-second.conf").toString(), loaded.originOf("crio.runtime.log_level"));
        assertEquals(dropIns.resolve("9-last-lexically.conf").toString(), loaded.originOf("crio.runtime.pids_limit"));
        assertEquals("command line", loaded.originOf("crio.api.listen"));
        assertEquals(5, loaded.sources().size());
        // untouched keys keep their defaults
        assertEquals(CrioConfig.defaults().crio().network(), loaded.config().crio().network());
    }

    @Test
    void invalidValueNamesTheFileTheKeyAndWhatIsAllowed() throws IOException {
        Files.writeString(dropIns.resolve("50-bad.conf"), "[crio.runtime]\ncgroup_manager = \"upstart\"\n");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertTrue(e.getMessage().contains(dropIns.resolve("50-bad.conf").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("crio.runtime.cgroup_manager"), e.getMessage());
        assertTrue(e.getMessage().contains("systemd") && e.getMessage().contains("cgroupfs"), e.getMessage());
    }

    @Test
    void wrongTypeNamesTheFileAndKey() throws IOException {
        Files.writeString(mainFile, "[crio.runtime]\npids_limit = \"lots\"\n");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertTrue(e.getMessage().contains(mainFile.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("crio.runtime.pids_limit"), e.getMessage());
        assertTrue(e.getMessage().contains("integer"), e.getMessage());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "[crio]\nroot = 5", "[crio.runtime]\nselinux = \"true\"", "[crio.runtime]\nselinux = 1",
            "[crio.runtime]\npids_limit = 1.9", "[crio.runtime]\npids_limit = \"100\"",
            "[crio.runtime]\nhooks_dir = [1, 2]", "[crio.api]\nstream_port = 10010"})
    void valuesOfTheWrongTypeAreErrors(String text) throws IOException {
        Files.writeString(mainFile, text + "\n");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertTrue(e.getMessage().contains(mainFile.toString()), e.getMessage());
    }

    @Test
    void durationsMayBeIntegerNanoseconds() throws Exception {
        Files.writeString(mainFile, "[crio.image]\npull_progress_timeout = 30000000000\n");
        assertEquals("30000000000", load().config().crio().image().pullProgressTimeout());
    }

    @Test
    void unreadableOrNonRegularFilesAreErrors() throws IOException {
        Files.createDirectories(tmp.resolve("a-dir.conf"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(
                new ConfigLoader.Request(tmp.resolve("a-dir.conf"), true, null, null, null)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void logLevelIsCaseInsensitiveAsInCrio() throws Exception {
        Files.writeString(mainFile, "[crio.runtime]\nlog_level = \"INFO\"\n");
        assertEquals("INFO", load().config().crio().runtime().logLevel());
    }

    @Test
    void tomlSyntaxErrorNamesTheFile() throws IOException {
        Files.writeString(mainFile, "[crio.runtime\nlog_level = \n");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertTrue(e.getMessage().contains(mainFile.toString()) && e.getMessage().contains("TOML"), e.getMessage());
    }

    @Test
    void unknownKeysAreWarningsNamingFileAndKey() throws Exception {
        Files.writeString(mainFile, """
                [crio.runtime]
                log_level = "debug"
                no_such_option = 1
                [crio.imaginary]
                x = 1
                [crio.runtime.runtimes.runc]
                bogus = true
                """);
        LoadedConfig loaded = load();
        assertEquals("debug", loaded.config().crio().runtime().logLevel());
        assertEquals(3, loaded.warnings().size(), loaded.warnings().toString());
        assertTrue(loaded.warnings().stream().anyMatch(w -> w.contains("crio.runtime.no_such_option")
                && w.contains(mainFile.toString())));
        assertTrue(loaded.warnings().stream().anyMatch(w -> w.contains("crio.imaginary")));
        assertTrue(loaded.warnings().stream().anyMatch(w -> w.contains("crio.runtime.runtimes.runc.bogus")));
    }

    @Test
    void aNamedRuntimeTableIsDefinedWholeByTheLastSourceThatNamesIt() throws Exception {
        Files.writeString(dropIns.resolve("10-kata.conf"), """
                [crio.runtime.runtimes.kata]
                runtime_path = "/usr/bin/kata-runtime"
                [crio.runtime.runtimes.runc]
                runtime_root = "/run/custom-runc"
                """);
        var runtimes = load().config().crio().runtime().runtimes();
        assertTrue(runtimes.keySet().containsAll(java.util.List.of("runc", "crun", "kata")), runtimes.keySet().toString());
        assertEquals("/usr/bin/kata-runtime", runtimes.get("kata").runtimePath());
        assertEquals("/run/custom-runc", runtimes.get("runc").runtimeRoot());
        // as in CRI-O, keys the table leaves out are empty, not the built-in handler's values
        assertEquals("", runtimes.get("runc").runtimeType());
        assertTrue(runtimes.get("runc").monitorEnv().isEmpty());
        // a table no source names keeps its built-in values
        assertEquals(CrioConfig.defaults().crio().runtime().runtimes().get("crun"), runtimes.get("crun"));
    }

    @Test
    void defaultRuntimeMustBeConfigured() throws IOException {
        Files.writeString(mainFile, "[crio.runtime]\ndefault_runtime = \"ghost\"\n");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertTrue(e.getMessage().contains("crio.runtime.default_runtime"), e.getMessage());
    }

    @Test
    void hostDefaultsApplyBeforeFilesAndFilesStillWin() throws Exception {
        ConfigSource host = HostDefaults.detect(tmp.resolve("no-systemd-here"));
        LoadedConfig loaded = ConfigLoader.load(new ConfigLoader.Request(mainFile, false, dropIns, null, host));
        assertEquals("cgroupfs", loaded.config().crio().runtime().cgroupManager());
        assertTrue(loaded.originOf("crio.runtime.cgroup_manager").contains("systemd is not running"));

        Files.writeString(mainFile, "[crio.runtime]\ncgroup_manager = \"systemd\"\n");
        loaded = ConfigLoader.load(new ConfigLoader.Request(mainFile, false, dropIns, null, host));
        assertEquals("systemd", loaded.config().crio().runtime().cgroupManager());

        Files.createDirectories(tmp.resolve("systemd"));
        assertEquals(0, HostDefaults.detect(tmp.resolve("systemd")).tree().size());
    }
}
