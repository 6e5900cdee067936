package io.crio.daemon.cgroup;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where conmon processes go: with {@code conmon_cgroup = "pod"} into {@code <pod parent>/crio-conmon-<id>}
 * (made on demand, removed with the container); otherwise they stay in the daemon's cgroup.
 */
public final class MonitorPlacement {

    private static final Logger log = LoggerFactory.getLogger(MonitorPlacement.class);

    private final CgroupTree cgroups;
    private final CgroupNaming naming;

    public MonitorPlacement(CgroupTree cgroups, CgroupNaming naming) {
        this.cgroups = cgroups;
        this.naming = naming;
    }

    public void place(String monitorCgroup, String podParent, String containerId, int conmonPid) {
        if (!CgroupTree.POD_MONITOR.equals(monitorCgroup)) {
            return;
        }
        String dir = naming.sandboxCgroupDir(podParent, "conmon-" + containerId);
        if (dir.isEmpty()) {
            return;
        }
        try {
            cgroups.addProcess(dir, conmonPid);
        } catch (IOException e) {
            log.warn("Cannot move conmon {} into cgroup {}: {}", conmonPid, dir, e.getMessage());
        }
    }

    public void remove(String podParent, String containerId) {
        String dir = naming.sandboxCgroupDir(podParent, "conmon-" + containerId);
        if (!dir.isEmpty()) {
            cgroups.remove(dir);
        }
    }
}
