package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistriesConfigTest {

    @TempDir
    Path dir;

    @Test
    void mirrorsFirstThenTheRelocatedRegistry() throws Exception {
        Path f = dir.resolve("registries.conf");
        Files.writeString(f, """
                unqualified-search-registries = ["127.0.0.1:5000", "docker.io"]
                [[registry]]
                prefix = "example.com/team"
                location = "127.0.0.1:6000/mirror/team"
                insecure = true
                [[registry.mirror]]
                location = "127.0.0.1:7000/m"
                [[registry]]
                location = "blocked.example.com"
                blocked = true
                """);
        RegistriesConfig c = RegistriesConfig.load(f, dir.resolve("none.d"));
        List<RegistriesConfig.Candidate> cands = c.candidates(ImageReference.parse("example.com/team/app:1"));
        assertEquals(2, cands.size());
        assertEquals("127.0.0.1:7000", cands.get(0).endpoint().host());
        assertEquals("m/app", cands.get(0).reference().repository());
        assertTrue(cands.get(0).mirror());
        assertEquals("127.0.0.1:6000", cands.get(1).endpoint().host());
        assertEquals("mirror/team/app", cands.get(1).reference().repository());
        assertTrue(cands.get(1).endpoint().insecure());
        ImageException blocked = assertThrows(ImageException.class,
                () -> c.candidates(ImageReference.parse("blocked.example.com/x:1")));
        assertEquals(ImageException.Kind.BLOCKED, blocked.kind());
        assertEquals(1, c.candidates(ImageReference.parse("quay.io/x/y")).size());
    }

    @Test
    void shortNamesExpandOverTheSearchRegistries() throws Exception {
        Path f = dir.resolve("registries.conf");
        Files.writeString(f, "unqualified-search-registries = [\"127.0.0.1:5000\", \"docker.io\"]\n");
        RegistriesConfig c = RegistriesConfig.load(f, null);
        List<ImageReference> refs = c.expandShortName(ImageReference.parse("busybox:1"));
        assertEquals("127.0.0.1:5000/busybox:1", refs.get(0).toString());
        assertEquals("docker.io/library/busybox:1", refs.get(1).toString());
        assertEquals(List.of(ImageReference.parse("busybox")), RegistriesConfig.empty().expandShortName(ImageReference.parse("busybox")));
    }

    @Test
    void dropInsOverrideInLexicalOrder() throws Exception {
        Path f = dir.resolve("registries.conf");
        Files.writeString(f, "unqualified-search-registries = [\"a.example\"]\n");
        Path d = Files.createDirectories(dir.resolve("registries.conf.d"));
        Files.writeString(d.resolve("20.conf"), "unqualified-search-registries = [\"c.example\"]\n");
        Files.writeString(d.resolve("10.conf"), "unqualified-search-registries = [\"b.example\"]\n");
        assertEquals(List.of("c.example"), RegistriesConfig.load(f, d).unqualifiedSearchRegistries());
    }

    @Test
    void loopbackRegistriesMayUsePlainHttp() {
        assertTrue(new RegistryEndpoint("127.0.0.1:5000", false).allowsPlainHttp());
        assertTrue(new RegistryEndpoint("localhost:5000", false).allowsPlainHttp());
        assertTrue(!new RegistryEndpoint("quay.io", false).allowsPlainHttp());
        assertEquals("registry-1.docker.io", new RegistryEndpoint("docker.io", false).apiHost());
    }
}
