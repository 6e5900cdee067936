package io.crio.storage;

import io.crio.sys.MountCalls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Mounts below a test's directory: listing them, and removing all of them whatever a test left. */
final class TestMounts {

    private TestMounts() {}

    /** The mount points strictly below {@code dir} (symbolic links in it resolved), in mount order. */
    static List<String> under(Path dir) throws IOException {
        String prefix = dir.toRealPath() + "/";
        List<String> out = new ArrayList<>();
        for (MountTable.Entry e : MountTable.read().entries()) {
            if (e.mountPoint().startsWith(prefix)) {
                out.add(e.mountPoint());
            }
        }
        return out;
    }

    /** The mountinfo entry uppermost at {@code path}, or null. */
    static MountTable.Entry at(Path path) throws IOException {
        MountTable.Entry found = null;
        for (MountTable.Entry e : MountTable.read().entries()) {
            if (e.mountPoint().equals(path.toRealPath().toString())) {
                found = e;
            }
        }
        return found;
    }

    /** Detaches every mount below {@code dir}, deepest first, until none is left. */
    static void unmountAll(Path dir) throws IOException {
        for (int round = 0; round < 10; round++) {
            List<String> mounts = under(dir);
            if (mounts.isEmpty()) {
                return;
            }
            mounts.sort(Comparator.comparingInt(String::length).reversed());
            for (String m : mounts) {
                MountCalls.umount2IfMounted(m, MountCalls.MNT_DETACH);
            }
        }
        throw new IOException("mounts are left below " + dir + ": " + under(dir));
    }
}
