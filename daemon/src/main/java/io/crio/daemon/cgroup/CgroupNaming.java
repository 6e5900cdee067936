package io.crio.daemon.cgroup;

import io.crio.daemon.server.CriException;

/**
 * How pods and containers are named in the cgroup tree under each cgroup manager, as CRI-O names them.
 * With {@code cgroupfs} a pod's parent is a path and its own cgroup is {@code <parent>/crio-<id>}; with
 * {@code systemd} the parent must be a slice ({@code kubepods-burstable.slice}), which expands to the
 * nested path systemd uses ({@code kubepods.slice/kubepods-burstable.slice}).
 */
public record CgroupNaming(boolean systemd) {

    public static final String PREFIX = "crio";

    public static CgroupNaming forManager(String manager) {
        return new CgroupNaming("systemd".equals(manager));
    }

    /**
     * The pod's cgroup parent as the runtime will use it: validated for this manager.
     * Throws INVALID_ARGUMENT for a parent the manager cannot use.
     */
    public String sandboxParent(String parent) {
        if (parent.indexOf('\0') >= 0 || parent.contains("..")) {
            throw CriException.invalidArgument("invalid cgroup_parent \"" + parent + "\"");
        }
        String base = parent.endsWith("/") ? parent.substring(0, parent.length() - 1) : parent;
        base = base.substring(base.lastIndexOf('/') + 1);
        if (systemd) {
            if (!parent.isEmpty() && !base.endsWith(".slice")) {
                throw CriException.invalidArgument("cri-o configured with systemd cgroup manager, but did not"
                        + " receive slice as parent: " + parent);
            }
            if (!parent.isEmpty()) {
                expandSlice(base);
            }
            return base;
        }
        if (base.endsWith(".slice")) {
            throw CriException.invalidArgument("cri-o configured with cgroupfs cgroup manager, but received"
                    + " systemd slice as parent: " + parent);
        }
        return parent;
    }

    /**
     * The cgroupfs path (relative to a hierarchy's root, starting with '/') of the pod's own cgroup, or
     * empty when there is none to create (systemd manager without a parent).
     */
    public String sandboxCgroupDir(String sandboxParent, String id) {
        if (systemd) {
            if (sandboxParent.isEmpty()) {
                return "";
            }
            return "/" + expandSlice(sandboxParent) + "/" + PREFIX + "-" + id;
        }
        String p = sandboxParent.startsWith("/") ? sandboxParent : "/" + sandboxParent;
        return (p.endsWith("/") ? p : p + "/") + PREFIX + "-" + id;
    }

    /** The {@code cgroupsPath} a container of the pod gets in its OCI spec. */
    public String containerCgroupsPath(String sandboxParent, String containerId) {
        if (systemd) {
            String slice = sandboxParent.isEmpty() ? "system.slice" : sandboxParent;
            return slice + ":" + PREFIX + ":" + containerId;
        }
        String p = sandboxParent.isEmpty() ? "/" : sandboxParent.startsWith("/") ? sandboxParent : "/" + sandboxParent;
        return (p.endsWith("/") ? p : p + "/") + PREFIX + "-" + containerId;
    }

    /**
     * Expands a slice name into its path, as systemd nests slices by their dash-separated prefixes:
     * {@code a-b-c.slice} → {@code a.slice/a-b.slice/a-b-c.slice}; {@code -.slice} is the root.
     */
    public static String expandSlice(String slice) {
        if (!slice.endsWith(".slice") || slice.contains("/")) {
            throw CriException.invalidArgument("invalid slice name \"" + slice + "\"");
        }
        String name = slice.substring(0, slice.length() - ".slice".length());
        if (name.equals("-")) {
            return "";
        }
        if (name.isEmpty() || name.startsWith("-") || name.endsWith("-") || name.contains("--")) {
            throw CriException.invalidArgument("invalid slice name \"" + slice + "\"");
        }
        StringBuilder path = new StringBuilder();
        StringBuilder prefix = new StringBuilder();
        for (String part : name.split("-")) {
            if (prefix.length() > 0) {
                prefix.append('-');
                path.append('/');
            }
            prefix.append(part);
            path.append(prefix).append(".slice");
        }
        return path.toString();
    }
}
