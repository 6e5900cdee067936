package io.crio.daemon.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnCapabilitiesTest {

    @TempDir
    Path dir;

    @Test
    void readsTheEffectiveAndBoundingMasks() throws Exception {
        Path status = Files.writeString(dir.resolve("status"), "Name:\tcrio\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t000001ffffffffff\nCapEff:\t0000000001000000\nCapBnd:\t000001ffffffffff\n");
        assertEquals(new OwnCapabilities.Sets(1L << 24, 0x1ffffffffffL), OwnCapabilities.read(status));
    }

    @Test
    void missingOrMalformedLinesGiveNoEffectiveCapabilityAndAnUnrestrictedBoundingSet() throws Exception {
        Path odd = Files.writeString(dir.resolve("odd"), "CapEff:\tnot-hex\nName:\tx\n");
        assertEquals(new OwnCapabilities.Sets(0, -1L), OwnCapabilities.read(odd));
        assertEquals(new OwnCapabilities.Sets(0, -1L), OwnCapabilities.read(dir.resolve("absent")));
    }

    @Test
    void theDaemonsOwnSetsAreReadFromItsStatus() throws Exception {
        assertEquals(OwnCapabilities.read(Path.of("/proc/self/status")),
                new OwnCapabilities.Sets(OwnCapabilities.effective(), OwnCapabilities.bounding()));
    }
}
