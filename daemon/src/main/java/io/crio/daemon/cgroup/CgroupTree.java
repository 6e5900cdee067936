package io.crio.daemon.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's cgroup hierarchies (v1 controllers, the v2 unified tree, or both on hybrid hosts), read once
 * from {@code /proc/self/mountinfo}, and the creation and removal of one cgroup in all of them.
 */
public final class CgroupTree {

    /** The monitor cgroup value meaning "the pod's own cgroup". */
    public static final String POD_MONITOR = "pod";

    private static final Logger log = LoggerFactory.getLogger(CgroupTree.class);

    /** One mounted hierarchy; {@code cpuset} is true for the v1 cpuset controller, whose new groups need cpus/mems. */
    record Hierarchy(Path mount, boolean cpuset, boolean unified) {}

    private final List<Hierarchy> hierarchies;

    CgroupTree(List<Hierarchy> hierarchies) {
        this.hierarchies = List.copyOf(hierarchies);
    }

    public static CgroupTree fromMountinfo() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            log.warn("Cannot read /proc/self/mountinfo, no cgroups will be created: {}", e.getMessage());
            return new CgroupTree(List.of());
        }
    }

    static CgroupTree parse(List<String> mountinfo) {
        List<Hierarchy> found = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String line : mountinfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3 || !pre[3].equals("/")) {
                continue;
            }
            String fstype = post[0];
            String mount = pre[4].replace("\\040", " ");
            if (fstype.equals("cgroup2")) {
                if (seen.add("unified")) {
                    found.add(new Hierarchy(Path.of(mount), false, true));
                }
            } else if (fstype.equals("cgroup")) {
                String options = post[2];
                // one hierarchy per distinct option set; named hierarchies (name=systemd) included
                if (seen.add(options)) {
                    boolean cpuset = List.of(options.split(",")).contains("cpuset");
                    found.add(new Hierarchy(Path.of(mount), cpuset, false));
                }
            }
        }
        return new CgroupTree(found);
    }

    List<Hierarchy> hierarchies() {
        return hierarchies;
    }

    /** Creates cgroup {@code dir} (a path starting with '/') in every hierarchy; returns the directories made. */
    public List<Path> create(String dir) throws IOException {
        List<Path> made = new ArrayList<>();
        try {
            for (Hierarchy h : hierarchies) {
                Path target = resolve(h.mount(), dir);
                if (h.cpuset()) {
                    createCpuset(h.mount(), target, made);
                } else if (!Files.isDirectory(target)) {
                    Files.createDirectories(target);
                    made.add(target);
                }
            }
        } catch (IOException | RuntimeException e) {
            removeAll(made);
            throw e;
        }
        return made;
    }

    /**
     * Moves process {@code pid} into cgroup {@code dir} (created where missing) in every hierarchy. A
     * hierarchy that refuses the process (a v2 tree whose controllers forbid it) is logged and skipped.
     */
    public void addProcess(String dir, int pid) throws IOException {
        create(dir);
        for (Hierarchy h : hierarchies) {
            Path procs = resolve(h.mount(), dir).resolve("cgroup.procs");
            try {
                Files.writeString(procs, Integer.toString(pid));
            } catch (IOException e) {
                log.debug("Cannot move process {} into {}: {}", pid, procs, e.getMessage());
            }
        }
    }

    /** Removes cgroup {@code dir} from every hierarchy; a cgroup that still has processes stays (logged). */
    public void remove(String dir) {
        List<Path> targets = new ArrayList<>();
        for (Hierarchy h : hierarchies) {
            targets.add(resolve(h.mount(), dir));
        }
        removeAll(targets);
    }

    private static void removeAll(List<Path> dirs) {
        for (int i = dirs.size() - 1; i >= 0; i--) {
            if (!Files.isDirectory(dirs.get(i))) {
                continue;
            }
            try {
                Files.deleteIfExists(dirs.get(i));
            } catch (DirectoryNotEmptyException e) {
                log.warn("Cgroup {} still has members or children; left in place", dirs.get(i));
            } catch (IOException e) {
                log.warn("Cannot remove cgroup {}: {}", dirs.get(i), e.getMessage());
            }
        }
    }

    private static void createCpuset(Path root, Path target, List<Path> made) throws IOException {
        // each new level must inherit cpus and mems, or no task can ever join it
        Path rel = root.relativize(target);
        Path current = root;
        for (Path part : rel) {
            Path next = current.resolve(part);
            if (!Files.isDirectory(next)) {
                Files.createDirectory(next);
                made.add(next);
                copyIfEmpty(current, next, "cpuset.cpus");
                copyIfEmpty(current, next, "cpuset.mems");
            }
            current = next;
        }
    }

    private static void copyIfEmpty(Path parent, Path child, String file) throws IOException {
        try {
            if (Files.readString(child.resolve(file)).isBlank()) {
                Files.writeString(child.resolve(file), Files.readString(parent.resolve(file)).trim());
            }
        } catch (NoSuchFileException e) {
            // the file has another name on this kernel (cpuset mounted with noprefix)
        }
    }

    private static Path resolve(Path mount, String dir) {
        String rel = dir.startsWith("/") ? dir.substring(1) : dir;
        Path p = mount.resolve(rel).normalize();
        if (!p.startsWith(mount)) {
            throw new IllegalArgumentException("cgroup path " + dir + " leaves " + mount);
        }
        return p;
    }
}
