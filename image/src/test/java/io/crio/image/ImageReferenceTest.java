package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

    static final String HEX = "a".repeat(64);

    @Test
    void shortNamesGoToDockerHubLibrary() {
        ImageReference r = ImageReference.parse("busybox");
        assertEquals("docker.io/library/busybox:latest", r.toString());
        assertFalse(ImageReference.parseDetailed("busybox").qualified());
        assertEquals("docker.io/myorg/app:1.0", ImageReference.parse("myorg/app:1.0").toString());
    }

    @Test
    void registriesWithPortsAndLocalhost() {
        ImageReference r = ImageReference.parse("127.0.0.1:5000/team/app:v2");
        assertEquals("127.0.0.1:5000", r.registry());
        assertEquals("team/app", r.repository());
        assertEquals("v2", r.tag());
        assertTrue(ImageReference.parseDetailed("127.0.0.1:5000/team/app").qualified());
        assertEquals("localhost/app:latest", ImageReference.parse("localhost/app").toString());
        assertEquals("quay.io/x/y:latest", ImageReference.parse("quay.io/x/y").toString());
    }

    @Test
    void digestsWithAndWithoutTags() {
        ImageReference d = ImageReference.parse("quay.io/x/y@sha256:" + HEX);
        assertNull(d.tag());
        assertEquals("sha256:" + HEX, d.manifestReference());
        ImageReference td = ImageReference.parse("quay.io/x/y:1@sha256:" + HEX);
        assertEquals("1", td.tag());
        assertEquals("sha256:" + HEX, td.digest().toString());
        assertEquals("quay.io/x/y:1@sha256:" + HEX, td.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " busybox", "Busybox", "busybox:", "busybox:-bad", "a//b", "busybox@sha256:abc",
            "busybox@md5:" + "a", "host:port:x/y", "x/y/", "UPPER.io/x:latest/"})
    void invalidReferencesAreRejectedWithAReason(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(input));
        assertFalse(e.getMessage().isEmpty());
    }
}
