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
        return cpuTicks(Files.readString(stat));
    }

    /** As {@link #cpuTicks(Path)}, from the stat file's content. */
    static long[] cpuTicks(String s) {
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // f[0] is field 3, the state
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
    }

    /**
     * User plus system ticks of each thread of process {@code pid}, summed by thread name with trailing
     * numbers removed (pools' threads together); threads that ended are not counted.
     */
    static java.util.Map<String, Long> ticksByThread(long pid) throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String s;
                try {
                    s = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String name = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')')).replaceAll("[-0-9]+$", "");
                long[] t = cpuTicks(s);
                out.merge(name, t[0] + t[1], Long::sum);
            }
        }
        return out;
    }
}
