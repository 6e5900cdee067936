package io.crio.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One reading of this process's mount table ({@code /proc/self/mountinfo}): which paths are mount points,
 * what is mounted below a directory, and whether a directory is bind-mounted onto itself.
 */
final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** One line: mount ID, parent mount ID, {@code major:minor}, root within the file system, mount point. */
    record Entry(int id, int parent, String device, String root, String mountPoint) {}

    private final List<Entry> entries;

    private MountTable(List<Entry> entries) {
        this.entries = entries;
    }

    static MountTable read() throws IOException {
        return parse(Files.readString(MOUNTINFO, StandardCharsets.UTF_8));
    }

    static MountTable parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.split(" ", 6);
            if (f.length < 5) {
                continue;
            }
            try {
                out.add(new Entry(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], decode(f[3]), decode(f[4])));
            } catch (NumberFormatException e) {
                // not a mount line
            }
        }
        return new MountTable(out);
    }

    List<Entry> entries() {
        return entries;
    }

    /** Whether something is mounted at {@code path} (an absolute path without symbolic links). */
    boolean isMountPoint(Path path) {
        return top(path.toString()) != null;
    }

    /** Whether something is mounted strictly below {@code dir}. */
    boolean hasMountsBelow(Path dir) {
        String prefix = dir.toString().endsWith("/") ? dir.toString() : dir + "/";
        for (Entry e : entries) {
            if (e.mountPoint().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the uppermost mount at {@code dir} is {@code dir} bound onto itself: the same file system as the
     * mount it sits on, showing the directory that mount has at that place.
     */
    boolean isSelfBind(Path dir) {
        String d = dir.toString();
        Entry top = top(d);
        if (top == null) {
            return false;
        }
        for (Entry p : entries) {
            if (p.id() == top.parent()) {
                if (!p.device().equals(top.device()) || !isBelowOrAt(d, p.mountPoint())) {
                    return false;
                }
                String rel = p.mountPoint().equals("/") ? d.substring(1)
                        : d.equals(p.mountPoint()) ? "" : d.substring(p.mountPoint().length() + 1);
                String expected = rel.isEmpty() ? p.root()
                        : p.root().equals("/") ? "/" + rel : p.root() + "/" + rel;
                return top.root().equals(expected);
            }
        }
        return false;
    }

    /** The last (uppermost) mount at {@code mountPoint}, or null. */
    private Entry top(String mountPoint) {
        Entry found = null;
        for (Entry e : entries) {
            if (e.mountPoint().equals(mountPoint)) {
                found = e;
            }
        }
        return found;
    }

    private static boolean isBelowOrAt(String path, String dir) {
        return dir.equals("/") || path.equals(dir) || path.startsWith(dir + "/");
    }

    /** Undoes the octal escapes ({@code \040} for a space) the kernel writes into paths of the table. */
    static String decode(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        byte[] raw = field.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\\' && i + 3 < raw.length && octal(raw[i + 1]) && octal(raw[i + 2]) && octal(raw[i + 3])) {
                out.write(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
                i += 3;
            } else {
                out.write(raw[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean octal(byte b) {
        return b >= '0' && b <= '7';
    }
}
