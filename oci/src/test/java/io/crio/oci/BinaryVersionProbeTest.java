package io.crio.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinaryVersionProbeTest {

    @TempDir
    Path dir;

    private Path script(String name, String body) throws IOException {
        return StandInScripts.write(dir, name, body);
    }

    @Test
    void reportsTheFirstLineAndCachesWhileTheFileIsUnchanged() throws IOException {
        Path counter = dir.resolve("count");
        Path bin = script("fake-runc", "echo x >> " + counter + "; echo 'fake-runc version 9.9'; echo 'spec: 1.2'");
        BinaryVersionProbe probe = new BinaryVersionProbe(Duration.ofSeconds(5));
        assertEquals(new BinaryVersionProbe.Result(true, "fake-runc version 9.9"), probe.probe(bin));
        probe.probe(bin);
        assertEquals(1, Files.readAllLines(counter).size());
        Files.setLastModifiedTime(bin, FileTime.from(Instant.now().plusSeconds(5)));
        probe.probe(bin);
        assertEquals(2, Files.readAllLines(counter).size());
    }

    @Test
    void failingVersionCommandIsNotReady() throws IOException {
        Path bin = script("broken", "echo 'exec format trouble' >&2; exit 3");
        BinaryVersionProbe.Result r = new BinaryVersionProbe(Duration.ofSeconds(5)).probe(bin);
        assertFalse(r.ok());
        assertTrue(r.detail().contains("exited with 3"), r.detail());
        assertTrue(r.detail().contains("exec format trouble"), r.detail());
    }

    @Test
    void hangingVersionCommandTimesOut() throws IOException {
        Path bin = script("slow", "exec sleep 10");
        BinaryVersionProbe.Result r = new BinaryVersionProbe(Duration.ofMillis(200)).probe(bin);
        assertFalse(r.ok());
        assertTrue(r.detail().contains("did not answer"), r.detail());
    }

    @Test
    void missingBinaryIsReported() {
        assertFalse(new BinaryVersionProbe(Duration.ofSeconds(1)).probe(dir.resolve("none")).ok());
    }

    @Test
    void lookupSearchesThePathOrTakesAPathAsGiven() throws IOException {
        Path bin = script("tool", "true");
        ExecutableLookup lookup = new ExecutableLookup("/nonexistent:" + dir);
        assertEquals(bin, lookup.find("", "tool").orElseThrow());
        assertEquals(bin, lookup.find(bin.toString(), "other").orElseThrow());
        assertTrue(lookup.find("", "absent").isEmpty());
        assertTrue(lookup.find(dir.resolve("absent").toString(), "tool").isEmpty());
    }
}
