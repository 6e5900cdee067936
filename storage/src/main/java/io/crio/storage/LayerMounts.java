package io.crio.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.sys.MountCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Overlay mounts of writable (container) layers at {@code overlay/<layer>/merged}, counted per layer in
 * {@code <runroot>/overlay-layers/mountpoints.json} ({@code [{"id": layer, "path": merged dir, "count": n}]},
 * guarded by {@code mountpoints.lock}), the file containers/storage keeps its mount counts in. So the counts
 * survive a restart of the daemon, and podman sees which container layers are mounted (it unmounts them
 * before it deletes them).
 *
 * <p>The first {@link #mount} mounts, every further one only counts, and the mount goes away when the count
 * drops to zero. A {@code merged} directory found mounted without a record (left by a crash between the mount
 * and the record) is taken over with a count of one; a record whose directory is not mounted (someone
 * unmounted it behind the store's back) counts as zero. Records of other layers are kept as they are.
 *
 * <p>While any layer is mounted, the driver's home ({@code <graphroot>/overlay}) is bound onto itself as a
 * private mount, as containers/storage's overlay driver keeps it: the layer mounts then sit on that bind
 * mount and do not propagate to other mount namespaces, and podman, finding the home already mounted, does
 * not bind it again (a fresh bind would hide the layer mounts from path lookups while podman runs). The
 * bind is made when the first layer is mounted and released when the last one is unmounted, unless
 * something else is mounted below the home then.
 */
final class LayerMounts {

    /** The kernel copies at most one page of mount data, terminating NUL included. */
    static final int MAX_MOUNT_DATA = 4095;

    private final OverlayDriver driver;
    private final Path file;
    private final LockFile lock;
    /** The home's real path, resolved at the first mount. */
    private Path realHome;
    /** Whether this store bound the home (or found it a mount point) and has not released it since. */
    private boolean homeBound;

    /**
     * @param runLayersDir {@code <runroot>/overlay-layers}, which must exist
     */
    LayerMounts(OverlayDriver driver, Path runLayersDir) throws IOException {
        this.driver = driver;
        this.file = runLayersDir.resolve("mountpoints.json");
        this.lock = LockFile.of(runLayersDir.resolve("mountpoints.lock"));
    }

    Path mergedDir(String layer) {
        return driver.dir(layer).resolve("merged");
    }

    /** Mounts (or counts one more use of) the layer's overlay and returns its {@code merged} directory. */
    Path mount(String layer) throws IOException {
        return mount(layer, merged -> { });
    }

    /**
     * {@link #mount(String)} that tells {@code onMounted} where the overlay is as soon as it is mounted, before
     * its use is counted; when the count cannot be saved, the mount is undone and this throws.
     */
    synchronized Path mount(String layer, Consumer<Path> onMounted) throws IOException {
        Path merged = mergedDir(layer);
        try (LockFile.Hold hold = lock.exclusive()) {
            List<ObjectNode> records = StoreJson.readArray(file);
            ObjectNode record = find(records, layer);
            if (!Files.isDirectory(driver.dir(layer))) {
                throw new NoSuchFileException(driver.dir(layer).toString(), null, "the layer's directory is missing");
            }
            if (!Files.isDirectory(merged)) {
                Files.createDirectories(merged);
            }
            Path home = realHome();
            Path realMerged = merged.toRealPath();
            boolean mounted = MountCalls.isMountPoint(realMerged);
            int count = mounted && record != null ? Math.max(0, (int) StoreJson.number(record, "count")) : 0;
            if (!mounted) {
                String options = options(layer);
                bindHome(home);
                try {
                    MountCalls.mount("overlay", realMerged.toString(), "overlay", 0, options);
                } catch (RuntimeException e) {
                    IOException failure = new IOException("mounting overlay at " + merged + ": " + e.getMessage(), e);
                    releaseHomeAfter(failure, home);
                    throw failure;
                }
            }
            try {
                onMounted.accept(merged);
                put(records, record, layer, merged, count + 1);
                save(records, hold);
            } catch (IOException | RuntimeException e) {
                if (!mounted) {
                    try {
                        MountCalls.umount2IfMounted(realMerged.toString(), MountCalls.MNT_DETACH);
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    releaseHomeAfter(e, home);
                }
                throw e;
            }
            return merged;
        }
    }

    /**
     * Drops one use ({@code force}: all uses) of the layer's mount, unmounting when none is left. A layer
     * that is not mounted is left as it is.
     */
    synchronized void unmount(String layer, boolean force) throws IOException {
        Path merged = mergedDir(layer);
        try (LockFile.Hold hold = lock.exclusive()) {
            List<ObjectNode> records = StoreJson.readArray(file);
            ObjectNode record = find(records, layer);
            int count = record == null ? 0 : (int) StoreJson.number(record, "count");
            int next = force ? 0 : Math.max(0, count - 1);
            if (next > 0 && MountCalls.isMountPoint(merged)) {
                put(records, record, layer, merged, next);
                save(records, hold);
                return;
            }
            boolean unmounted;
            try {
                unmounted = MountCalls.umount2IfMounted(merged.toString(), MountCalls.MNT_DETACH);
            } catch (RuntimeException e) {
                throw new IOException("unmounting " + merged + ": " + e.getMessage(), e);
            }
            if (record != null) {
                records.remove(record);
                save(records, hold);
            }
            if (unmounted || record != null) {
                releaseHome(realHome());
            }
        }
    }

    private Path realHome() throws IOException {
        if (realHome == null) {
            realHome = driver.home().toRealPath();
        }
        return realHome;
    }

    /**
     * Binds the home onto itself, private, unless it is a mount point already or something is mounted below
     * it (a bind would hide that). Once bound (or found a mount point), it is not looked at again until
     * {@link #releaseHome} ran, as containers/storage binds it once.
     */
    private void bindHome(Path home) throws IOException {
        if (homeBound) {
            return;
        }
        if (MountCalls.isMountPoint(home)) {
            homeBound = true;
            return;
        }
        if (MountTable.read().hasMountsBelow(home)) {
            return;
        }
        try {
            MountCalls.mount(home.toString(), home.toString(), null, MountCalls.MS_BIND, null);
        } catch (RuntimeException e) {
            throw new IOException("binding " + home + " onto itself: " + e.getMessage(), e);
        }
        try {
            MountCalls.mount(null, home.toString(), null, MountCalls.MS_PRIVATE, null);
        } catch (RuntimeException e) {
            IOException failure = new IOException("making " + home + " a private mount: " + e.getMessage(), e);
            try {
                MountCalls.umount2IfMounted(home.toString(), MountCalls.MNT_DETACH);
            } catch (RuntimeException suppressed) {
                failure.addSuppressed(suppressed);
            }
            throw failure;
        }
        homeBound = true;
    }

    /** Removes the home's bind onto itself when nothing is mounted below it any more. */
    private void releaseHome(Path home) throws IOException {
        homeBound = false;
        MountTable table = MountTable.read();
        if (table.isSelfBind(home) && !table.hasMountsBelow(home)) {
            try {
                MountCalls.umount2IfMounted(home.toString(), MountCalls.MNT_DETACH);
            } catch (RuntimeException e) {
                throw new IOException("releasing the bind mount of " + home + ": " + e.getMessage(), e);
            }
        }
    }

    /** {@link #releaseHome} after {@code failure}, to which a further failure is added. */
    private void releaseHomeAfter(Throwable failure, Path home) {
        try {
            releaseHome(home);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** How many uses of the layer's mount are recorded; zero when its directory is not mounted. */
    synchronized int count(String layer) throws IOException {
        try (LockFile.Hold hold = lock.shared()) {
            ObjectNode record = find(StoreJson.readArray(file), layer);
            if (record == null || !MountCalls.isMountPoint(mergedDir(layer))) {
                return 0;
            }
            return Math.max(0, (int) StoreJson.number(record, "count"));
        }
    }

    private static ObjectNode find(List<ObjectNode> records, String layer) {
        for (ObjectNode r : records) {
            if (layer.equals(StoreJson.text(r, "id"))) {
                return r;
            }
        }
        return null;
    }

    /** Sets the layer's record (a new one goes last), in containers/storage's field order. */
    private static void put(List<ObjectNode> records, ObjectNode existing, String layer, Path merged, int count) {
        ObjectNode r = existing != null ? existing : StoreJson.NODES.objectNode();
        r.put("id", layer);
        r.put("path", merged.toString());
        r.put("count", count);
        if (existing == null) {
            records.add(r);
        }
    }

    /** The file lives in the run root, so it is replaced atomically but not flushed to disk. */
    private void save(List<ObjectNode> records, LockFile.Hold hold) throws IOException {
        StoreJson.replaceArray(file, records);
        hold.recordWrite();
    }

    /**
     * The overlay options: the absolute paths of the lower layers' {@code l/} links (nearest first, from the
     * layer's {@code lower} file; the layer's {@code empty} directory when it has no parent), its {@code diff}
     * as upper and its {@code work} directory. containers/storage changes into the overlay directory and
     * passes the links relative to it; a JVM cannot change the working directory of one thread, so the paths
     * are absolute, which lowers the number of layers that fit (about 4000 / (length of the graph root + 40)).
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
