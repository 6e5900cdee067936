package io.crio.daemon.cgroup;

import io.crio.daemon.system.OwnCapabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * OOM score adjustments a container may get. Lowering a score below the daemon's own needs
 * CAP_SYS_RESOURCE, which not every host grants even to root; without it, a requested score below the
 * daemon's own is raised to it (as containerd's {@code restrict_oom_score_adj} does) rather than making the
 * runtime fail. The daemon's own score is read at each call (an operator may change it while the daemon
 * runs).
 */
public final class OomScore {

    static final int CAP_SYS_RESOURCE = 24;

    private OomScore() {}

    public static int clamp(int requested) {
        if ((OwnCapabilities.effective() & (1L << CAP_SYS_RESOURCE)) != 0) {
            return requested;
        }
        return Math.max(requested, own());
    }

    static int own() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
