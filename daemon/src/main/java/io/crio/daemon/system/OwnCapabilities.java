package io.crio.daemon.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The daemon's own effective and bounding capability sets, as masks by capability number, read from
 * {@code /proc/self/status} once: the daemon never changes its capabilities while it runs, so the container
 * and pod paths need not parse that file per request.
 */
public final class OwnCapabilities {

    /** The two sets; an unreadable file gives no effective capability and an unrestricted bounding set. */
    record Sets(long effective, long bounding) {}

    private static final class Holder {
        static final Sets SETS = read(Path.of("/proc/self/status"));
    }

    private OwnCapabilities() {}

    public static long effective() {
        return Holder.SETS.effective();
    }

    public static long bounding() {
        return Holder.SETS.bounding();
    }

    static Sets read(Path status) {
        long effective = 0;
        long bounding = -1L;
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    effective = parse(line, 0);
                } else if (line.startsWith("CapBnd:")) {
                    bounding = parse(line, -1L);
                }
            }
        } catch (IOException e) {
            return new Sets(0, -1L);
        }
        return new Sets(effective, bounding);
    }

    private static long parse(String line, long fallback) {
        try {
            return Long.parseUnsignedLong(line.substring(7).trim(), 16);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
