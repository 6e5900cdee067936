package io.crio.daemon.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.daemon.server.CriException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupNamingTest {

    private final CgroupNaming systemd = new CgroupNaming(true);
    private final CgroupNaming cgroupfs = new CgroupNaming(false);

    @Test
    void systemdNeedsASlice() {
        CriException e = assertThrows(CriException.class, () -> systemd.sandboxParent("/kubepods/burstable/pod1"));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("did not receive slice"), e.getMessage());
        assertEquals("kubepods-burstable-pod1.slice", systemd.sandboxParent("kubepods-burstable-pod1.slice"));
        assertEquals("", systemd.sandboxParent(""));
    }

    @Test
    void cgroupfsRefusesASlice() {
        assertThrows(CriException.class, () -> cgroupfs.sandboxParent("kubepods.slice"));
        assertThrows(CriException.class, () -> cgroupfs.sandboxParent("/kubepods/../../etc"));
        assertEquals("/kubepods/pod1", cgroupfs.sandboxParent("/kubepods/pod1"));
    }

    @Test
    void slicesExpandByTheirPrefixes() {
        assertEquals("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice",
                CgroupNaming.expandSlice("kubepods-burstable-pod1.slice"));
        assertEquals("", CgroupNaming.expandSlice("-.slice"));
        assertThrows(CriException.class, () -> CgroupNaming.expandSlice("a--b.slice"));
    }

    @Test
    void sandboxAndContainerPaths() {
        assertEquals("/kubepods/pod1/crio-abc", cgroupfs.sandboxCgroupDir("/kubepods/pod1", "abc"));
        assertEquals("/crio-abc", cgroupfs.sandboxCgroupDir("", "abc"));
        assertEquals("/kubepods.slice/kubepods-pod1.slice/crio-abc", systemd.sandboxCgroupDir("kubepods-pod1.slice", "abc"));
        assertEquals("", systemd.sandboxCgroupDir("", "abc"));
        assertEquals("kubepods-pod1.slice:crio:c1", systemd.containerCgroupsPath("kubepods-pod1.slice", "c1"));
        assertEquals("/kubepods/pod1/crio-c1", cgroupfs.containerCgroupsPath("/kubepods/pod1", "c1"));
    }

    @Test
    void hierarchiesOfAHybridHost() {
        CgroupTree tree = CgroupTree.parse(List.of(
                "30 24 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate",
                "31 24 0:27 / /sys/fs/cgroup/systemd rw shared:10 - cgroup cgroup rw,xattr,name=systemd",
                "35 24 0:31 / /sys/fs/cgroup/cpuset rw shared:15 - cgroup cgroup rw,cpuset",
                "36 24 0:32 / /sys/fs/cgroup/memory rw shared:16 - cgroup cgroup rw,memory",
                "37 24 0:32 /sub /mnt/memory rw shared:17 - cgroup cgroup rw,memory",
                "22 1 8:1 / / rw - ext4 /dev/sda1 rw"));
        assertEquals(4, tree.hierarchies().size());
        assertTrue(tree.hierarchies().stream().anyMatch(h -> h.cpuset()));
        assertTrue(tree.hierarchies().stream().anyMatch(h -> h.unified()));
    }
}
