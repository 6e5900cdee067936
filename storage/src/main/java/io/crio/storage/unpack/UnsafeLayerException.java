package io.crio.storage.unpack;

import java.io.IOException;

/**
 * A layer entry that would create or change something outside the layer directory, or whose name cannot be
 * made safe: {@code ..} climbing above the root, a NUL byte, an empty name, a path through a symbolic link
 * planted by an earlier entry, a hard link leaving the layer. The message names the entry and the problem.
 */
public final class UnsafeLayerException extends IOException {

    private final String entry;
    private final String problem;

    public UnsafeLayerException(String entry, String problem) {
        super("unsafe layer entry \"" + printable(entry) + "\": " + problem);
        this.entry = entry;
        this.problem = problem;
    }

    /** The entry's name as the tar header gives it. */
    public String entry() {
        return entry;
    }

    public String problem() {
        return problem;
    }

    static String printable(String s) {
        return s.replace("\0", "\\0");
    }
}
