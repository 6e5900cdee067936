package io.crio.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigHolderTest {

    @TempDir
    Path tmp;

    @Test
    void reloadTakesOnlyReloadableOptions() throws Exception {
        Path f = tmp.resolve("crio.conf");
        Files.writeString(f, "[crio.runtime]\nlog_level = \"debug\"\npids_limit = 7\n[crio.api]\nlisten = \"/new.sock\"\n");
        CrioConfig fresh = ConfigLoader.load(new ConfigLoader.Request(f, true, null, null, null)).config();
        ConfigHolder holder = new ConfigHolder(CrioConfig.defaults());

        List<ConfigHolder.Change> changes = holder.reload(fresh);

        assertEquals(1, changes.size());
        assertEquals("crio.runtime.log_level", changes.get(0).key());
        assertEquals("debug", holder.get().crio().runtime().logLevel());
        assertEquals(CrioConfig.defaults().crio().api().listen(), holder.get().crio().api().listen());
        assertEquals(CrioConfig.defaults().crio().runtime().pidsLimit(), holder.get().crio().runtime().pidsLimit());
        assertTrue(holder.reload(fresh).isEmpty());
    }
}
