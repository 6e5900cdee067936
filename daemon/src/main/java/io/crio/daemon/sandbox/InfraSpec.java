package io.crio.daemon.sandbox;

import io.crio.oci.spec.Spec;
import io.crio.oci.spec.SpecDefaults;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The runtime spec of a pod's infra container: the pause process as PID 1 of the pod's PID namespace,
 * joined to the pod's pinned network, IPC and UTS namespaces, with a read-only root file system.
 * A pure function of its input.
 */
final class InfraSpec {

    /** Everything the spec is built from. */
    record Input(
            String rootfs,
            List<String> args,
            List<String> env,
            String hostname,
            Map<String, String> namespaces,
            String shmPath,
            boolean hostIpc,
            String resolvPath,
            String hostnamePath,
            String cgroupsPath,
            int oomScoreAdj,
            long uid,
            long gid,
            Map<String, String> annotations,
            Spec.Seccomp seccomp) {}

    private InfraSpec() {}

    static Spec build(Input in) {
        List<Spec.Mount> mounts = new ArrayList<>(SpecDefaults.baseMounts());
        if (!in.hostIpc()) {
            mounts.add(new Spec.Mount("/dev/shm", "bind", in.shmPath(), List.of("rw", "bind")));
        } else {
            mounts.add(new Spec.Mount("/dev/shm", "bind", "/dev/shm", List.of("rw", "rbind")));
        }
        mounts.add(SpecDefaults.bind("/etc/resolv.conf", in.resolvPath(), true));
        mounts.add(SpecDefaults.bind("/etc/hostname", in.hostnamePath(), true));

        List<Spec.Namespace> namespaces = new ArrayList<>();
        namespaces.add(new Spec.Namespace("pid", null));
        namespaces.add(new Spec.Namespace("mount", null));
        addJoined(namespaces, "network", in.namespaces().get("net"));
        addJoined(namespaces, "ipc", in.namespaces().get("ipc"));
        addJoined(namespaces, "uts", in.namespaces().get("uts"));

        List<String> env = new ArrayList<>();
        if (in.env().stream().noneMatch(e -> e.startsWith("PATH="))) {
            env.add(SpecDefaults.DEFAULT_PATH);
        }
        env.addAll(in.env());

        Spec.Process process = new Spec.Process(false, new Spec.User(in.uid(), in.gid(), List.of(), null),
                in.args(), env, "/", Spec.Capabilities.of(SpecDefaults.CAPABILITIES), List.of(), true,
                in.oomScoreAdj(), null, null);
        Spec.Linux linux = new Spec.Linux(Map.of(),
                new Spec.Resources(SpecDefaults.denyAllDevices(), null, new Spec.Cpu(2L, null, null, null, null),
                        null, List.of(), Map.of()),
                in.cgroupsPath(), namespaces, List.of(), in.seccomp(), null,
                SpecDefaults.MASKED_PATHS, SpecDefaults.READONLY_PATHS, null);
        // a hostname can only be set in a private UTS namespace; host-network pods keep the host's
        String hostname = in.namespaces().containsKey("uts") ? in.hostname() : null;
        return new Spec(Spec.VERSION, process, new Spec.Root(in.rootfs(), true), hostname, mounts,
                in.annotations(), linux);
    }

    private static void addJoined(List<Spec.Namespace> namespaces, String type, String path) {
        // a namespace the pod shares with the host is simply not listed: the container stays in the host's
        if (path != null && !path.isEmpty()) {
            namespaces.add(new Spec.Namespace(type, path));
        }
    }
}
