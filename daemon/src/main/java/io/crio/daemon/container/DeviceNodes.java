package io.crio.daemon.container;

import io.crio.api.v1.Device;
import io.crio.daemon.server.CriException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Device nodes for a container, read from the host: the CRI's devices (host path must be a character or
 * block device; permissions {@code r}, {@code w}, {@code m}), or for a privileged container every device
 * under the host's {@code /dev}.
 */
final class DeviceNodes {

    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    private DeviceNodes() {}

    static List<ContainerSpecInput.DeviceNode> resolve(List<Device> requested, boolean privileged) {
        List<ContainerSpecInput.DeviceNode> out = new ArrayList<>();
        if (privileged) {
            out.addAll(hostDevices(Path.of("/dev")));
        }
        for (Device d : requested) {
            String perms = d.getPermissions().isEmpty() ? "rwm" : d.getPermissions();
            if (!perms.matches("[rwm]{1,3}")) {
                throw CriException.invalidArgument("device " + d.getHostPath() + ": invalid permissions \"" + perms + "\"");
            }
            if (!d.getContainerPath().startsWith("/")) {
                throw CriException.invalidArgument("device container_path \"" + d.getContainerPath() + "\" is not absolute");
            }
            ContainerSpecInput.DeviceNode node = node(Path.of(d.getHostPath()), d.getContainerPath(), perms);
            if (node == null) {
                throw CriException.invalidArgument("device " + d.getHostPath() + " is not a character or block device on the host");
            }
            out.removeIf(n -> n.containerPath().equals(d.getContainerPath()));
            out.add(node);
        }
        return out;
    }

    static ContainerSpecInput.DeviceNode node(Path host, String containerPath, String perms) {
        try {
            Path real = host.toRealPath();
            int mode = (Integer) Files.getAttribute(real, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            long rdev = (Long) Files.getAttribute(real, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
            String type = switch (mode & S_IFMT) {
                case S_IFCHR -> "c";
                case S_IFBLK -> "b";
                default -> null;
            };
            if (type == null) {
                return null;
            }
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            return new ContainerSpecInput.DeviceNode(containerPath, real.toString(), type, major, minor, mode & 07777, perms);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private static List<ContainerSpecInput.DeviceNode> hostDevices(Path dev) {
        List<ContainerSpecInput.DeviceNode> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dev, 3)) {
            for (Path p : s.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                String rel = p.toString();
                // the container's own pts and shm come from its mounts
                if (rel.startsWith("/dev/pts") || rel.startsWith("/dev/shm") || rel.startsWith("/dev/mqueue")
                        || rel.equals("/dev/console") || rel.equals("/dev/ptmx")) {
                    continue;
                }
                ContainerSpecInput.DeviceNode n = node(p, rel, "rwm");
                if (n != null) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
