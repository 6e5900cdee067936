package io.crio.storage.unpack;

import java.util.ArrayList;
import java.util.List;

/**
 * A tar entry name made relative to the layer root: leading slashes dropped (an absolute name means "in the
 * layer", as Docker treats it), empty and {@code .} components dropped, {@code ..} applied lexically. A
 * {@code ..} that would climb above the root is refused, as are NUL bytes. The root itself has no name.
 *
 * @param parent the directories between the root and the entry, outermost first
 * @param name   the entry's last component; empty for the root
 */
record EntryPath(List<String> parent, String name) {

    static final EntryPath ROOT = new EntryPath(List.of(), "");

    /**
     * @param entry the entry's name, for messages
     * @param raw   the name to clean: the entry's name or its hard link target
     * @param what  what {@code raw} is, for messages ("name", "hard link target")
     */
    static EntryPath parse(String entry, String raw, String what) throws UnsafeLayerException {
        if (raw.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(entry, what + " contains a NUL byte");
        }
        if (raw.isEmpty()) {
            throw new UnsafeLayerException(entry, what + " is empty");
        }
        List<String> parts = new ArrayList<>();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    throw new UnsafeLayerException(entry, what + " \"" + raw + "\" climbs out of the layer with '..'");
                }
                parts.removeLast();
                continue;
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            return ROOT;
        }
        String name = parts.removeLast();
        return new EntryPath(List.copyOf(parts), name);
    }

    boolean isRoot() {
        return name.isEmpty();
    }

    /** All components, the name included. */
    List<String> components() {
        if (isRoot()) {
            return List.of();
        }
        List<String> all = new ArrayList<>(parent);
        all.add(name);
        return all;
    }

    /** The path relative to the root, joined with '/'; empty for the root. */
    String relative() {
        return isRoot() ? "" : String.join("/", components());
    }

    /** The sibling called {@code otherName} (used for the file a whiteout hides). */
    EntryPath sibling(String otherName) {
        return new EntryPath(parent, otherName);
    }

    @Override
    public String toString() {
        return relative();
    }
}
