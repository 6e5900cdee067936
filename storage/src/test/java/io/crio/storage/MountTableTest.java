package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reading the mount table: mount points, mounts below a directory, and binds of a directory onto itself. */
class MountTableTest {

    private static final String TABLE = String.join("\n",
            "21 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "30 21 254:16 / /var rw,relatime shared:7 - xfs /dev/vdb rw",
            "40 30 254:16 /lib/containers/storage/overlay /var/lib/containers/storage/overlay rw - xfs /dev/vdb rw",
            "41 40 0:50 / /var/lib/containers/storage/overlay/abc/merged rw - overlay overlay rw,lowerdir=x",
            "50 21 254:0 /srv/data /mnt/elsewhere rw - ext4 /dev/vda rw",
            "60 21 0:60 / /mnt/with\\040space rw - tmpfs tmpfs rw",
            "70 21 254:0 /tmp/g/overlay /tmp/g/overlay rw - ext4 /dev/vda rw",
            "71 21 254:16 / /tmp/h/overlay rw - xfs /dev/vdb rw",
            "");

    @Test
    void readsTheTable() {
        MountTable t = MountTable.parse(TABLE);
        assertEquals(8, t.entries().size());
        assertTrue(t.isMountPoint(Path.of("/var/lib/containers/storage/overlay/abc/merged")));
        assertFalse(t.isMountPoint(Path.of("/var/lib/containers/storage/overlay/abc")));
        assertTrue(t.isMountPoint(Path.of("/mnt/with space")), "octal escapes are undone");
        assertTrue(t.hasMountsBelow(Path.of("/var/lib/containers/storage/overlay")));
        assertFalse(t.hasMountsBelow(Path.of("/var/lib/containers/storage/overlay/abc/merged")));
        assertFalse(t.hasMountsBelow(Path.of("/mnt/else")), "a name that only starts alike is not below");
    }

    @Test
    void tellsABindOfADirectoryOntoItselfFromOtherMounts() {
        MountTable t = MountTable.parse(TABLE);
        assertTrue(t.isSelfBind(Path.of("/var/lib/containers/storage/overlay")), "on a file system mounted at /var");
        assertTrue(t.isSelfBind(Path.of("/tmp/g/overlay")), "on the root file system");
        assertFalse(t.isSelfBind(Path.of("/mnt/elsewhere")), "a bind of another directory");
        assertFalse(t.isSelfBind(Path.of("/tmp/h/overlay")), "a file system of its own");
        assertFalse(t.isSelfBind(Path.of("/var/lib/containers/storage/overlay/abc/merged")), "an overlay");
        assertFalse(t.isSelfBind(Path.of("/nothing")));
    }
}
