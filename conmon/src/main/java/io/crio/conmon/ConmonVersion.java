package io.crio.conmon;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** conmon's version, as printed by {@code conmon --version} ({@code conmon version 2.1.6}). */
public record ConmonVersion(int major, int minor, int patch) implements Comparable<ConmonVersion> {

    private static final Pattern LINE = Pattern.compile("conmon version (\\d+)\\.(\\d+)\\.(\\d+)");

    /** The oldest conmon whose options and sync-pipe protocol the daemon relies on. */
    public static final ConmonVersion MINIMUM = new ConmonVersion(2, 0, 0);

    public static Optional<ConmonVersion> parse(String output) {
        Matcher m = LINE.matcher(output);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new ConmonVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))));
    }

    public boolean isSupported() {
        return compareTo(MINIMUM) >= 0;
    }

    @Override
    public int compareTo(ConmonVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
