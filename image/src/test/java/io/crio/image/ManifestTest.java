package io.crio.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestTest {

    static final String D1 = "sha256:" + "1".repeat(64);
    static final String D2 = "sha256:" + "2".repeat(64);

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void ociImageManifest() throws Exception {
        Manifest m = Manifest.parse(b("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":10},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":20}]}
                """.formatted(D1, D2)), "");
        assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
        assertEquals(D1, m.config().digest());
        assertEquals(1, m.layers().size());
    }

    @Test
    void mediaTypeFromContentTypeWhenTheDocumentHasNone() throws Exception {
        Manifest m = Manifest.parse(b("""
                {"schemaVersion":2,"config":{"digest":"%s","size":1},"layers":[]}""".formatted(D1)),
                "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8");
        assertEquals(MediaTypes.DOCKER_MANIFEST, m.mediaType());
    }

    @Test
    void indexAndPlatformSelection() throws Exception {
        Manifest m = Manifest.parse(b("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
                 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,
                  "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
                 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,
                  "platform":{"architecture":"amd64","os":"linux"}}]}""".formatted(D1, D2)), "");
        assertTrue(m.isIndex());
        assertEquals(D2, new PlatformMatcher("linux", "amd64", "").select(m.manifests()).orElseThrow().digest());
        assertEquals(D1, new PlatformMatcher("linux", "arm64", "v8").select(m.manifests()).orElseThrow().digest());
        assertTrue(new PlatformMatcher("linux", "s390x", "").select(m.manifests()).isEmpty());
    }

    @Test
    void schema1AndGarbageAreRefusedClearly() {
        ImageException s1 = assertThrows(ImageException.class, () -> Manifest.parse(b("""
                {"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"""), "application/vnd.docker.distribution.manifest.v1+prettyjws"));
        assertEquals(ImageException.Kind.UNSUPPORTED, s1.kind());
        assertTrue(s1.getMessage().contains("schema 1"));
        assertEquals(ImageException.Kind.INVALID_CONTENT,
                assertThrows(ImageException.class, () -> Manifest.parse(b("not json"), "")).kind());
        assertEquals(ImageException.Kind.INVALID_CONTENT, assertThrows(ImageException.class, () -> Manifest.parse(b("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"""), "")).kind());
        assertEquals(ImageException.Kind.UNSUPPORTED, assertThrows(ImageException.class, () -> Manifest.parse(b("""
                {"schemaVersion":2,"mediaType":"application/x-unknown"}"""), "")).kind());
    }

    @Test
    void configDiffIdsAndUser() throws Exception {
        ImageConfig c = ImageConfig.parse(b("""
                {"architecture":"amd64","os":"linux","config":{"User":"1000:1000","Env":["PATH=/bin"]},
                 "rootfs":{"type":"layers","diff_ids":["%s"]}}""".formatted(D1)));
        assertEquals(List.of(D1), c.rootfs().diffIds());
        assertEquals("1000:1000", c.user());
        assertEquals(1000L, ImageView.user(c.user())[0]);
        assertEquals("app", ImageView.user("app:staff")[1]);
        assertEquals(null, ImageView.user("")[0]);
        assertThrows(ImageException.class, () -> ImageConfig.parse(b("{\"rootfs\":{\"diff_ids\":[\"nope\"]}}")));
    }
}
