package io.crio.daemon.cri;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PinnedImagesTest {

    @Test
    void exactNamesAreNormalisedAndWildcardsMatchPrefixesOrKeywords() {
        assertTrue(ImageService.matches("registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10.1"));
        assertTrue(ImageService.matches("busybox", "docker.io/library/busybox:latest"));
        assertFalse(ImageService.matches("busybox", "docker.io/library/busybox:1"));
        assertTrue(ImageService.matches("quay.io/team/*", "quay.io/team/app:1"));
        assertFalse(ImageService.matches("quay.io/team/*", "quay.io/other/app:1"));
        assertTrue(ImageService.matches("*pause*", "registry.k8s.io/pause:3.10.1"));
        assertFalse(ImageService.matches("*etcd*", "registry.k8s.io/pause:3.10.1"));
    }
}
