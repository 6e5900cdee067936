package io.crio.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.TomlRenderer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CrioCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    private Run run(String... args) {
        CommandLine cl = CrioCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void configDefaultPrintsTheBuiltInDefaults() {
        Run r = run("--config", tmp.resolve("absent.conf").toString(), "config", "--default");
        assertEquals(0, r.code(), r.err());
        assertEquals(TomlRenderer.render(CrioConfig.defaults(), CrioConfig.defaults()), r.out());
    }

    @Test
    void configShowsFileAndFlagValuesUncommented() throws Exception {
        Path conf = tmp.resolve("crio.conf");
        Files.writeString(conf, "[crio.runtime]\npids_limit = 4096\n");
        Run r = run("--config", conf.toString(), "--config-dir", "", "--log-level", "debug",
                "--default-runtime", "crun", "--cni-plugin-dir", "/p1", "--cni-plugin-dir", "/p2", "config");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nlog_level = \"debug\"\n"), r.out());
        assertTrue(r.out().contains("\npids_limit = 4096\n"), r.out());
        assertTrue(r.out().contains("\ndefault_runtime = \"crun\"\n"), r.out());
        assertTrue(r.out().contains("\nplugin_dirs = [\n\t\"/p1\",\n\t\"/p2\",\n]"), r.out());
    }

    @Test
    void flagsGoAfterTheSubcommandToo() {
        Run r = run("config", "--config", "", "--config-dir", "", "--log-level", "warn");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nlog_level = \"warn\"\n"), r.out());
    }

    @Test
    void invalidFlagValueIsReportedWithItsKey() {
        Run r = run("--config", "", "--config-dir", "", "--cgroup-manager", "upstart", "config");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("command line") && r.err().contains("crio.runtime.cgroup_manager"), r.err());
    }

    @Test
    void runtimesFlagAddsAHandler() {
        Run r = run("--config", "", "--config-dir", "", "--runtimes", "kata:/usr/bin/kata:/run/kata:oci", "config");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("[crio.runtime.runtimes.kata]"), r.out());
        assertTrue(r.out().contains("runtime_path = \"/usr/bin/kata\""), r.out());
        Run bad = run("--config", "", "--config-dir", "", "--runtimes", "justaname", "config");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("NAME:PATH"), bad.err());
    }

    @Test
    void versionAsTextAndJson() throws Exception {
        Run text = run("version");
        assertEquals(0, text.code());
        assertTrue(text.out().startsWith("Version:"), text.out());
        assertTrue(text.out().contains("GitCommit:"), text.out());
        Run json = run("version", "--json");
        JsonNode node = new ObjectMapper().readTree(json.out());
        assertTrue(node.hasNonNull("version") && node.hasNonNull("gitCommit") && node.hasNonNull("platform"), json.out());
    }
}
