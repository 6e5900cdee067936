package io.crio.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU times from a /proc/PID/stat file, in clock ticks (10 ms). */
final class ProcStat {

    private ProcStat() {}

    /** The stat file of process {@code pid}. */
    static Path of(long pid) {
        return Path.of("/proc", Long.toString(pid), "stat");
    }

    /**
     * Fields 14 to 17 of proc(5): user and system time of the process, then user and system time of its
     * children that were waited for.
     */
    static long[] cpuTicks(Path stat) throws IOException {
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // f[0] is field 3, the state
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
    }
}
