package io.crio.daemon.cgroup;

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
        if (Effective.SYS_RESOURCE) {
            return requested;
        }
        return Math.max(requested, own());
    }

    /** The daemon's effective capabilities do not change while it runs: read once, on first use. */
    private static final class Effective {
        static final boolean SYS_RESOURCE = hasSysResource();
    }

    static int own() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    static boolean hasSysResource() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_RESOURCE)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }
}
