package io.crio.storage;

import io.crio.sys.MountCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Overlay mounts of writable (container) layers at {@code overlay/<layer>/merged}, counted per layer in this
 * process: the first {@link #mount} mounts, every further one only counts, and the mount goes away when the
 * count drops to zero. A {@code merged} directory found already mounted (say, by an earlier run of the
 * daemon) is taken over rather than mounted a second time.
 */
final class LayerMounts {

    /** The kernel copies at most one page of mount data, terminating NUL included. */
    static final int MAX_MOUNT_DATA = 4095;

    private final OverlayDriver driver;
    private final Map<String, Integer> counts = new HashMap<>();

    LayerMounts(OverlayDriver driver) {
        this.driver = driver;
    }

    Path mergedDir(String layer) {
        return driver.dir(layer).resolve("merged");
    }

    /** Mounts (or counts one more use of) the layer's overlay and returns its {@code merged} directory. */
    synchronized Path mount(String layer) throws IOException {
        Path merged = mergedDir(layer);
        int count = counts.getOrDefault(layer, 0);
        if (count == 0 && !MountCalls.isMountPoint(merged)) {
            if (!Files.isDirectory(driver.dir(layer))) {
                throw new NoSuchFileException(driver.dir(layer).toString(), null, "the layer's directory is missing");
            }
            Files.createDirectories(merged);
            String options = options(layer);
            try {
                MountCalls.mount("overlay", merged.toString(), "overlay", 0, options);
            } catch (RuntimeException e) {
                throw new IOException("mounting overlay at " + merged + ": " + e.getMessage(), e);
            }
        }
        counts.put(layer, count + 1);
        return merged;
    }

    /** Drops one use ({@code force}: all uses) of the layer's mount, unmounting when none is left. */
    synchronized void unmount(String layer, boolean force) throws IOException {
        int count = counts.getOrDefault(layer, 0);
        int next = force ? 0 : Math.max(0, count - 1);
        if (next > 0) {
            counts.put(layer, next);
            return;
        }
        Path merged = mergedDir(layer);
        try {
            MountCalls.umount2IfMounted(merged.toString(), MountCalls.MNT_DETACH);
        } catch (RuntimeException e) {
            throw new IOException("unmounting " + merged + ": " + e.getMessage(), e);
        }
        counts.remove(layer);
    }

    /** How many uses of the layer's mount this process counts. */
    synchronized int count(String layer) {
        return counts.getOrDefault(layer, 0);
    }

    /**
     * The overlay options: the absolute paths of the lower layers' {@code l/} links (nearest first, from the
     * layer's {@code lower} file; the layer's {@code empty} directory when it has no parent), its {@code diff}
     * as upper and its {@code work} directory.
     *
     * @throws IOException when the options do not fit in the kernel's page of mount data
     */
    String options(String layer) throws IOException {
        Path dir = driver.dir(layer);
        List<String> lowers = new ArrayList<>();
        try {
            for (String l : Files.readString(dir.resolve("lower"), StandardCharsets.US_ASCII).trim().split(":")) {
                if (!l.isEmpty()) {
                    lowers.add(driver.home().resolve(l).toString());
                }
            }
        } catch (NoSuchFileException e) {
            // a layer without a parent has no lower file
        }
        if (lowers.isEmpty()) {
            Path empty = dir.resolve("empty");
            AtomicFiles.createDirectory(empty, AtomicFiles.PRIVATE_DIR);
            lowers.add(empty.toString());
        }
        String options = "lowerdir=" + String.join(":", lowers) + ",upperdir=" + dir.resolve("diff")
                + ",workdir=" + dir.resolve("work");
        int length = options.getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_MOUNT_DATA) {
            throw new IOException("the overlay mount options of layer " + layer + " are " + length
                    + " bytes long, more than the kernel's limit of " + MAX_MOUNT_DATA + " (" + lowers.size()
                    + " lower layers)");
        }
        return options;
    }
}
