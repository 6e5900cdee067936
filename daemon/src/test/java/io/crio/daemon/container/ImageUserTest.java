package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crio.daemon.server.CriException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageUserTest {

    @TempDir
    Path rootfs;

    @BeforeEach
    void files() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
    }

    @Test
    void imageUserForms() {
        assertEquals(new ImageUser.Resolved(0, 0, List.of(), "root"), ImageUser.resolve(rootfs, null, "", null, List.of(), ""));
        assertEquals(new ImageUser.Resolved(1000, 1000, List.of(2000L), "app"),
                ImageUser.resolve(rootfs, null, "", null, List.of(), "app"));
        assertEquals(1000, ImageUser.resolve(rootfs, null, "", null, List.of(), "1000").uid());
        assertEquals(2000, ImageUser.resolve(rootfs, null, "", null, List.of(), "1000:2000").gid());
        assertEquals(2000, ImageUser.resolve(rootfs, null, "", null, List.of(), "app:extra").gid());
        assertEquals(new ImageUser.Resolved(4242, 0, List.of(), ""), ImageUser.resolve(rootfs, null, "", null, List.of(), "4242"));
    }

    @Test
    void accountsAreRememberedPerImage() throws Exception {
        String image = "ab".repeat(32);
        assertEquals(java.util.Optional.empty(), ImageUser.cached(image));
        ImageUser.Accounts read = ImageUser.remember(image, rootfs);
        // a later container of the same image resolves without its root file system
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        assertEquals(read, ImageUser.cached(image).orElseThrow());
        assertEquals(new ImageUser.Resolved(1000, 1000, List.of(2000L), "app"),
                ImageUser.resolve(ImageUser.cached(image).orElseThrow(), null, "", null, List.of(), "app"));
        assertEquals(java.util.Optional.empty(), ImageUser.cached("cd".repeat(32)));
    }

    @Test
    void criFieldsWin() {
        ImageUser.Resolved r = ImageUser.resolve(rootfs, 1000L, "", 5L, List.of(7L), "root");
        assertEquals(1000, r.uid());
        assertEquals(5, r.gid());
        assertEquals(List.of(2000L, 7L), r.additionalGids());
        assertEquals(1000, ImageUser.resolve(rootfs, null, "app", null, List.of(), "").uid());
    }

    @Test
    void unknownNamesAreErrors() {
        assertThrows(CriException.class, () -> ImageUser.resolve(rootfs, null, "ghost", null, List.of(), ""));
        assertThrows(CriException.class, () -> ImageUser.resolve(rootfs, null, "", null, List.of(), "ghost"));
        assertThrows(CriException.class, () -> ImageUser.resolve(rootfs, null, "", null, List.of(), "app:ghosts"));
    }

    @Test
    void aSymlinkedPasswdIsNotFollowed() throws Exception {
        Files.delete(rootfs.resolve("etc/passwd"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/etc/passwd"));
        assertThrows(CriException.class, () -> ImageUser.resolve(rootfs, null, "root", null, List.of(), ""));
    }
}
