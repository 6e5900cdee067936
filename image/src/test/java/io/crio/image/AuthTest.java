package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthTest {

    @TempDir
    Path dir;

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authFieldFillsUsernameAndPassword() {
        Credentials c = Credentials.of("", "", b64("alice:s3cr:et"), "", "");
        assertEquals("alice", c.username());
        assertEquals("s3cr:et", c.password());
        assertThrows(IllegalArgumentException.class, () -> Credentials.of("", "", "%%%", "", ""));
        assertTrue(Credentials.of(null, null, null, null, null).isEmpty());
    }

    @Test
    void authFileMostSpecificEntryWins() throws Exception {
        Path f = dir.resolve("auth.json");
        Files.writeString(f, """
                {"auths": {"127.0.0.1:5000": {"auth": "%s"},
                           "127.0.0.1:5000/team": {"auth": "%s"},
                           "https://index.docker.io/v1/": {"auth": "%s"}}}""".formatted(b64("a:1"), b64("b:2"), b64("hub:3")));
        assertEquals("b", AuthFile.lookup(f, ImageReference.parse("127.0.0.1:5000/team/app")).username());
        assertEquals("a", AuthFile.lookup(f, ImageReference.parse("127.0.0.1:5000/other/app")).username());
        assertEquals("hub", AuthFile.lookup(f, ImageReference.parse("busybox")).username());
        assertTrue(AuthFile.lookup(f, ImageReference.parse("quay.io/x")).isEmpty());
        assertTrue(AuthFile.lookup(dir.resolve("missing.json"), ImageReference.parse("quay.io/x")).isEmpty());
    }

    @Test
    void challengesParse() {
        BearerChallenge c = BearerChallenge.parse(
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull\"").orElseThrow();
        assertEquals("bearer", c.scheme());
        assertEquals("https://auth.example/token", c.realm());
        assertEquals("registry.example", c.params().get("service"));
        assertEquals("repository:a/b:pull", c.params().get("scope"));
        assertEquals("basic", BearerChallenge.parse("Basic realm=\"Registry Realm\"").orElseThrow().scheme());
        assertTrue(BearerChallenge.parse("").isEmpty());
    }
}
