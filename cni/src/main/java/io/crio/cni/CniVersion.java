package io.crio.cni;

/** A CNI specification version such as {@code 0.4.0}; an empty or unreadable version counts as 0.1.0. */
record CniVersion(int major, int minor, int patch) implements Comparable<CniVersion> {

    static final CniVersion V0_1_0 = new CniVersion(0, 1, 0);
    static final CniVersion V0_3_0 = new CniVersion(0, 3, 0);
    static final CniVersion V0_4_0 = new CniVersion(0, 4, 0);
    static final CniVersion V1_0_0 = new CniVersion(1, 0, 0);

    static CniVersion parse(String s) {
        if (s == null || s.isBlank()) {
            return V0_1_0;
        }
        String[] parts = s.trim().split("\\.", -1);
        int[] n = new int[3];
        try {
            for (int i = 0; i < Math.min(3, parts.length); i++) {
                n[i] = Integer.parseInt(parts[i]);
            }
        } catch (NumberFormatException e) {
            return V0_1_0;
        }
        return new CniVersion(n[0], n[1], n[2]);
    }

    /** Whether results of this version are handed to plugins on DEL and CHECK (0.4.0 and later). */
    boolean passesPrevResultOnDelAndCheck() {
        return compareTo(V0_4_0) >= 0;
    }

    @Override
    public int compareTo(CniVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c == 0 ? Integer.compare(patch, o.patch) : c;
    }
}
