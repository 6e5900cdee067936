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

class CrioCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = CrioCommand.run(args, new PrintWriter(out), new PrintWriter(err));
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

    @Test
    void optionsTakeTheirValueInlineOrNextAndTheLastOneWins() {
        Run r = run("--config=", "--config-dir", "", "--log-level=debug", "-l", "error", "--pids-limit=77", "config");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nlog_level = \"error\"\n"), r.out());
        assertTrue(r.out().contains("\npids_limit = 77\n"), r.out());
    }

    @Test
    void booleanOptionsTakeAnOptionalValue() {
        assertTrue(run("--config", "", "--config-dir", "", "--enable-metrics", "config").out()
                .contains("\nenable_metrics = true\n"));
        assertTrue(run("--config", "", "--config-dir", "", "--enable-metrics", "true", "config").out()
                .contains("\nenable_metrics = true\n"));
        Run off = run("--config", "", "--config-dir", "", "--enable-metrics=false", "config");
        assertEquals(0, off.code(), off.err());
        assertTrue(off.out().contains("# enable_metrics = false\n"), off.out());
        Run bad = run("--enable-metrics=maybe", "config");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'maybe' is not a boolean"), bad.err());
    }

    @Test
    void wrongCommandLinesExitWithTwoAndSayWhy() {
        Run unknown = run("--no-such-flag", "x");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown option: '--no-such-flag'"), unknown.err());
        Run missing = run("config", "--root");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("option '--root' needs a value (DIR)"), missing.err());
        Run notInt = run("--pids-limit", "many", "config");
        assertEquals(2, notInt.code());
        assertTrue(notInt.err().contains("'many' is not an integer"), notInt.err());
        Run command = run("frobnicate");
        assertEquals(2, command.code());
        assertTrue(command.err().contains("unknown command: 'frobnicate'"), command.err());
        Run extra = run("version", "extra");
        assertEquals(2, extra.code());
        Run ownOption = run("config", "--json");
        assertEquals(2, ownOption.code(), "--json belongs to version, not config");
        Run switchValue = run("version", "--json=yes");
        assertEquals(2, switchValue.code());
        assertTrue(switchValue.err().contains("takes no value"), switchValue.err());
    }

    @Test
    void helpListsEveryOptionAndCommand() {
        Run r = run("--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: crio "), r.out());
        for (CliOption o : GlobalOptions.ALL) {
            assertTrue(r.out().contains(o.name()), o.name() + " missing from\n" + r.out());
        }
        assertTrue(r.out().contains("-c, --config=FILE"), r.out());
        assertTrue(r.out().contains("--enable-metrics[=BOOL]"), r.out());
        for (Subcommand c : Subcommand.ALL) {
            assertTrue(r.out().contains("\n  " + c.name() + " "), c.name() + " missing from\n" + r.out());
        }
        assertEquals(r.out(), run("help").out());
        Run config = run("help", "config");
        assertEquals(0, config.code());
        assertTrue(config.out().startsWith("Usage: crio config") && config.out().contains("--default"), config.out());
        assertEquals(config.out(), run("config", "--help").out());
        assertEquals(2, run("help", "nothing").code());
    }

    @Test
    void versionFlagPrintsOneLine() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("crio version \\S+\n"), r.out());
    }

    @Test
    void everyConfigurationOptionNamesAKeyOfTheConfiguration() throws Exception {
        com.fasterxml.jackson.databind.JsonNode defaults = io.crio.daemon.config.ConfigMapper.TREES
                .valueToTree(CrioConfig.defaults());
        for (CliOption o : GlobalOptions.ALL) {
            if (o.key() != null) {
                assertTrue(!io.crio.daemon.config.ConfigTrees.get(defaults, o.key()).isMissingNode(),
                        o.name() + " sets " + o.key() + ", which the configuration does not have");
            }
        }
    }
}
