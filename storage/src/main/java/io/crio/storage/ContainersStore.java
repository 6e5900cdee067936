package io.crio.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.sys.StorageCalls;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layers and images on disk in containers/storage's overlay layout, so that podman, buildah, CRI-O and
 * {@code crio wipe} see the same store:
 * <pre>
 *   G/overlay/&lt;layer&gt;/{diff,link,lower,work,merged,empty}, G/overlay/l/&lt;link&gt; → ../&lt;layer&gt;/diff
 *   G/overlay-layers/layers.json + layers.lock
 *   G/overlay-images/images.json + images.lock, G/overlay-images/&lt;image&gt;/&lt;big-data file&gt;
 *   G/overlay-containers/containers.json + containers.lock
 *   R/overlay-layers/mountpoints.json + mountpoints.lock (mount counts of container layers)
 *   R/overlay-containers/&lt;container&gt;/userdata, R/overlay, R/overlay-locks
 * </pre>
 * One instance is shared by all threads of the daemon; open one instance per graph root per process.
 * In-process, a read-write lock guards the in-memory copy of the records; across processes, the
 * {@code .lock} files are taken as containers/storage takes them (layers, then images, then containers),
 * and the copy is reloaded whenever the last-writer token in a lock file or the JSON file changed.
 */
public final class ContainersStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ContainersStore.class);
    private static final String DRIVER = "overlay";
    private static final Pattern ANY_DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    /** Layers being written in this process, per graph root (shared by every instance on that root). */
    private static final ConcurrentHashMap<Path, Set<String>> IN_PROGRESS = new ConcurrentHashMap<>();

    private final Path graphRoot;
    private final Path runRoot;
    private final OverlayDriver driver;
    private final LayerTable layers;
    private final ImageTable images;
    private final ContainerRefs containers;
    private final ContainerTable containerTable;
    /** Mounts of container layers made by this process. */
    private final LayerMounts mounts;
    private static final java.security.SecureRandom ID_RANDOM = new java.security.SecureRandom();
    private final LockFile layersLock;
    private final LockFile imagesLock;
    private final LockFile containersLock;
    private final Set<String> inProgress;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Map<String, PendingLayer> pending = new HashMap<>();
    private volatile boolean closed;

    private ContainersStore(Path graphRoot, Path runRoot) throws IOException {
        this.graphRoot = graphRoot;
        this.runRoot = runRoot;
        Path layersDir = graphRoot.resolve(DRIVER + "-layers");
        Path runLayersDir = runRoot.resolve(DRIVER + "-layers");
        this.driver = new OverlayDriver(graphRoot.resolve(DRIVER));
        this.mounts = new LayerMounts(driver, runLayersDir);
        this.layers = new LayerTable(List.of(layersDir.resolve("layers.json"), layersDir.resolve("volatile-layers.json"),
                runLayersDir.resolve("volatile-layers.json")));
        this.images = new ImageTable(graphRoot.resolve(DRIVER + "-images"));
        this.containers = new ContainerRefs(graphRoot.resolve(DRIVER + "-containers"),
                runRoot.resolve(DRIVER + "-containers"));
        this.containerTable = new ContainerTable(graphRoot.resolve(DRIVER + "-containers"));
        this.layersLock = LockFile.of(layersDir.resolve("layers.lock"));
        this.imagesLock = LockFile.of(graphRoot.resolve(DRIVER + "-images").resolve("images.lock"));
        this.containersLock = LockFile.of(graphRoot.resolve(DRIVER + "-containers").resolve("containers.lock"));
        this.inProgress = IN_PROGRESS.computeIfAbsent(graphRoot.toRealPath(), k -> ConcurrentHashMap.newKeySet());
    }

    /**
     * Opens (creating as needed) the store at {@code graphRoot}/{@code runRoot} and removes the layers a crash
     * left incomplete.
     */
    public static ContainersStore open(Path graphRoot, Path runRoot) throws IOException {
        Path g = graphRoot.toAbsolutePath().normalize();
        Path r = runRoot.toAbsolutePath().normalize();
        for (Path dir : List.of(g, g.resolve("mounts"), g.resolve("tmp"), g.resolve(DRIVER + "-layers"),
                g.resolve(DRIVER + "-images"), g.resolve(DRIVER + "-containers"), r, r.resolve(DRIVER),
                r.resolve(DRIVER + "-layers"), r.resolve(DRIVER + "-containers"), r.resolve(DRIVER + "-locks"))) {
            AtomicFiles.createDirectory(dir, AtomicFiles.PRIVATE_DIR);
        }
        ContainersStore store = new ContainersStore(g, r);
        store.driver.init();
        store.containers.ensureFile();
        store.removeIncompleteLayers();
        store.withLayersAndImagesForReading(() -> null);
        return store;
    }

    public Path graphRoot() {
        return graphRoot;
    }

    public Path runRoot() {
        return runRoot;
    }

    /**
     * The ID containers/image gives the layer with diff ID {@code diffDigest} on top of {@code parentLayerId}:
     * the hex of the diff ID for a base layer, else the hex sha256 of {@code parentId + "+" + diffIdHex}.
     */
    public static String layerId(String parentLayerId, String diffDigest) {
        String hex = Ids.requireSha256Digest("diff digest", diffDigest).substring("sha256:".length());
        if (parentLayerId == null) {
            return hex;
        }
        return Ids.sha256Hex(Ids.requireHexId("parent layer ID", parentLayerId) + "+" + hex);
    }

    // ---------------------------------------------------------------- layers

    /** The complete layer {@code id}; empty when absent or still being written. */
    public Optional<LayerInfo> layer(String id) {
        if (!Ids.isHexId(id)) {
            return Optional.empty();
        }
        try {
            return withLayersForReading(() -> {
                LayerTable.Entry e = layers.get(id);
                return e == null || e.incomplete() ? Optional.<LayerInfo>empty() : Optional.of(e.info());
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the layer store: " + e.getMessage(), e);
        }
    }

    /**
     * Starts writing layer {@code id} on top of {@code parentId} (null for a base layer): records it as
     * incomplete, then creates its directories, link and lower file.
     *
     * @throws IllegalStateException    when the layer exists complete, or is being written already
     * @throws IllegalArgumentException when an ID is malformed or the parent is unknown
     */
    public PendingLayer beginLayer(String id, String parentId) throws IOException {
        Ids.requireHexId("layer ID", id);
        if (parentId != null) {
            Ids.requireHexId("parent layer ID", parentId);
        }
        checkOpen();
        rw.writeLock().lock();
        LockFile.Hold hold = null;
        boolean handedOver = false;
        try {
            hold = layersLock.exclusive();
            refreshLayers(hold);
            if (inProgress.contains(id)) {
                throw new IllegalStateException("layer " + id + " is already being written");
            }
            LayerTable.Entry existing = layers.get(id);
            if (existing != null && !existing.incomplete()) {
                throw new IllegalStateException("layer " + id + " already exists");
            }
            if (parentId != null) {
                LayerTable.Entry parent = layers.get(parentId);
                if (parent == null || (parent.incomplete() && !inProgress.contains(parentId))) {
                    throw new IllegalArgumentException("parent layer " + parentId + " is not in the store");
                }
            }
            if (existing != null) {
                log.warn("Removing incomplete layer {} left by an earlier attempt", id);
                deleteLayers(List.of(id), hold);
            }
            // the record comes first, so that a crash while creating the directories leaves a trace to clean
            ObjectNode record = LayerTable.newRecord(id, parentId, Instant.now());
            LayerTable.Entry entry = layers.add(record);
            entry.setIncomplete(true);
            layers.save(Set.of(entry.file), hold);
            try {
                driver.create(id, parentId);
            } catch (IOException | RuntimeException e) {
                layers.remove(id);
                try {
                    layers.save(Set.of(entry.file), hold);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            inProgress.add(id);
            PendingLayer p = new PendingLayer(this, id, parentId, driver.diffDir(id), hold);
            pending.put(id, p);
            handedOver = true;
            log.debug("Began layer {} (parent {})", id, parentId);
            return p;
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            if (hold != null && !handedOver) {
                hold.close();
            }
            rw.writeLock().unlock();
        }
    }

    LayerInfo commitLayer(PendingLayer p, String diffDigest, long diffSize, String compressedDigest, long compressedSize)
            throws IOException {
        Ids.requireSha256Digest("diff digest", diffDigest);
        if (compressedDigest != null && !ANY_DIGEST.matcher(compressedDigest).matches()) {
            throw new IllegalArgumentException("malformed compressed digest " + compressedDigest);
        }
        if (diffSize < 0 || compressedSize < 0) {
            throw new IllegalArgumentException("layer sizes must not be negative");
        }
        checkOpen();
        // the layer's files must be on disk before its record says it is complete
        try {
            StorageCalls.syncfs(p.diffDir());
        } catch (SyscallException e) {
            throw new IOException("flushing layer " + p.id() + " to disk: " + e.getMessage(), e);
        }
        rw.writeLock().lock();
        try {
            LockFile.Hold hold = p.hold();
            refreshLayers(hold);
            LayerTable.Entry e = layers.get(p.id());
            if (e == null) {
                throw new IllegalStateException("the record of pending layer " + p.id() + " disappeared");
            }
            if (p.parent() != null) {
                LayerTable.Entry parent = layers.get(p.parent());
                if (parent == null || parent.incomplete()) {
                    throw new IllegalStateException("parent layer " + p.parent() + " of " + p.id() + " is not complete");
                }
            }
            ObjectNode n = e.node;
            JsonNode flags = n.remove("flags");
            if (compressedDigest != null) {
                n.put("compressed-diff-digest", compressedDigest);
                if (compressedSize > 0) {
                    n.put("compressed-size", compressedSize);
                }
            }
            n.put("diff-digest", diffDigest);
            if (diffSize > 0) {
                n.put("diff-size", diffSize);
            }
            if (flags != null) {
                n.set("flags", flags);
            }
            e.setIncomplete(false);
            layers.save(Set.of(e.file), hold);
            inProgress.remove(p.id());
            pending.remove(p.id());
            log.debug("Committed layer {} ({} bytes)", p.id(), diffSize);
            return e.info();
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    void abortLayer(PendingLayer p) {
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            refreshLayers(p.hold());
            LayerTable.Entry e = layers.get(p.id());
            if (e != null && e.incomplete()) {
                deleteLayers(List.of(p.id()), p.hold());
            } else {
                driver.remove(p.id());
            }
            log.debug("Aborted layer {}", p.id());
        } catch (IOException | RuntimeException e) {
            log.warn("Could not remove aborted layer {} (it stays flagged incomplete and is removed on the next open): {}",
                    p.id(), e.toString());
        } finally {
            inProgress.remove(p.id());
            pending.remove(p.id());
            rw.writeLock().unlock();
        }
    }

    /**
     * Deletes layers: flags them incomplete (one save), removes their directories, then their records.
     * A layer whose directory cannot be removed keeps its incomplete record for a later attempt.
     */
    private void deleteLayers(List<String> ids, LockFile.Hold hold) throws IOException {
        Set<Integer> files = new HashSet<>();
        boolean flagged = false;
        for (String id : ids) {
            LayerTable.Entry e = layers.get(id);
            if (e != null) {
                files.add(e.file);
                if (!e.incomplete()) {
                    e.setIncomplete(true);
                    flagged = true;
                }
            }
        }
        if (flagged) {
            layers.save(files, hold);
        }
        IOException failure = null;
        for (String id : ids) {
            try {
                driver.remove(id);
                layers.remove(id);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (!files.isEmpty()) {
            layers.save(files, hold);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void removeIncompleteLayers() throws IOException {
        rw.writeLock().lock();
        try (LockFile.Hold hold = layersLock.exclusive()) {
            refreshLayers(hold);
            List<String> stale = new ArrayList<>();
            for (LayerTable.Entry e : layers.entries()) {
                if (e.incomplete() && !inProgress.contains(e.id())) {
                    stale.add(e.id());
                }
            }
            if (!stale.isEmpty()) {
                log.warn("Removing {} incomplete layer(s) left by an interrupted write: {}", stale.size(), stale);
                deleteLayers(stale, hold);
            }
            // a container's layer gets its record after its directories: a crash in between leaves them alone
            List<String> orphans = new ArrayList<>();
            for (String dir : driver.layerIds()) {
                if (layers.get(dir) == null && !inProgress.contains(dir)) {
                    orphans.add(dir);
                }
            }
            if (!orphans.isEmpty()) {
                log.warn("Removing {} layer director(ies) without a record, left by an interrupted create: {}",
                        orphans.size(), orphans);
                for (String orphan : orphans) {
                    mounts.unmount(orphan, true);
                    driver.remove(orphan);
                }
            }
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- images

    /**
     * Stores image {@code id} on {@code topLayerId}, or updates it: adds the names that are new to it (taking
     * them away from any other image holding them), adds the digests, and writes each big-data item.
     *
     * @param id         hex of the config digest, without {@code sha256:}
     * @param topLayerId the image's top layer (must be complete), or null for an image without layers
     * @param digests    manifest digests ({@code sha256:…}) the image should be found by
     * @param bigData    key → bytes (e.g. {@code manifest}, {@code manifest-sha256:…}, {@code sha256:<config>})
     * @param created    the image's creation time (null: now); kept from the first store of the image
     * @throws IllegalArgumentException when an argument is malformed or the top layer is missing
     * @throws IllegalStateException    when the image exists with a different top layer
     */
    public ImageRecord putImage(String id, String topLayerId, List<String> names, List<String> digests,
                                Map<String, byte[]> bigData, Instant created) throws IOException {
        Ids.requireHexId("image ID", id);
        if (topLayerId != null) {
            Ids.requireHexId("top layer ID", topLayerId);
        }
        List<String> newNames = cleanNames(names);
        List<String> newDigests = new ArrayList<>();
        for (String d : digests == null ? List.<String>of() : digests) {
            if (d == null || !ANY_DIGEST.matcher(d).matches()) {
                throw new IllegalArgumentException("malformed digest " + d);
            }
            if (!newDigests.contains(d)) {
                newDigests.add(d);
            }
        }
        Map<String, byte[]> data = new LinkedHashMap<>(bigData == null ? Map.of() : bigData);
        data.forEach((k, v) -> {
            ImageTable.bigDataFileName(k);
            Objects.requireNonNull(v, "big-data item " + k);
        });
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.shared(); LockFile.Hold ih = imagesLock.exclusive()) {
            refreshLayers(lh);
            refreshImages(ih);
            if (topLayerId != null) {
                LayerTable.Entry top = layers.get(topLayerId);
                if (top == null || top.incomplete()) {
                    throw new IllegalArgumentException("top layer " + topLayerId + " of image " + id + " is not in the store");
                }
            }
            ObjectNode rec = images.get(id);
            boolean isNew = rec == null;
            if (isNew) {
                rec = ImageTable.newRecord(id, topLayerId, created == null ? Instant.now() : created);
            } else {
                String existingTop = StoreJson.text(rec, "layer");
                if (!Objects.equals(emptyToNull(existingTop), topLayerId)) {
                    throw new IllegalStateException("image " + id + " already exists with top layer " + existingTop
                            + ", not " + topLayerId);
                }
            }
            Path dataDir = images.dataDir(id);
            boolean dirExisted = Files.isDirectory(dataDir);
            try {
                writeBigData(rec, data);
            } catch (IOException | RuntimeException e) {
                if (isNew && !dirExisted) {
                    deleteQuietly(dataDir);
                }
                throw e;
            }
            // digests: the derived ones cover manifests stored as big data; keep any others explicitly
            List<String> derived = ImageTable.digests(rec);
            List<String> extra = StoreJson.strings(rec, ImageTable.EXTRA_DIGESTS);
            for (String d : newDigests) {
                if (!derived.contains(d) && !extra.contains(d)) {
                    extra.add(d);
                }
            }
            StoreJson.putStrings(rec, ImageTable.EXTRA_DIGESTS, extra);
            String digest = StoreJson.text(rec, "digest");
            if (digest == null || digest.isEmpty()) {
                List<String> all = ImageTable.digests(rec);
                String first = !newDigests.isEmpty() ? newDigests.get(0) : all.isEmpty() ? null : all.get(0);
                if (first != null) {
                    ImageTable.insertAfter(rec, "id", "digest", first);
                }
            }
            // names: add what is new, moving it away from other images
            List<String> current = StoreJson.strings(rec, "names");
            List<String> added = new ArrayList<>();
            for (String name : newNames) {
                if (!current.contains(name)) {
                    current.add(name);
                    added.add(name);
                }
            }
            takeNamesFromOthers(new HashSet<>(newNames), id);
            ImageTable.putNames(rec, current);
            ImageTable.addToHistory(rec, added);
            ImageTable.tidy(rec);
            images.put(rec);
            images.save(ih);
            ImageRecord result = ImageTable.record(rec);
            log.debug("{} image {} names {}", isNew ? "Stored" : "Updated", id, result.names());
            return result;
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Writes the big-data items (each file atomically) and records their names, sizes and digests. */
    private void writeBigData(ObjectNode rec, Map<String, byte[]> data) throws IOException {
        if (data.isEmpty()) {
            return;
        }
        String id = StoreJson.text(rec, "id");
        AtomicFiles.createDirectory(images.dataDir(id), AtomicFiles.PRIVATE_DIR);
        List<String> names = StoreJson.strings(rec, "big-data-names");
        ObjectNode sizes = rec.get("big-data-sizes") instanceof ObjectNode s ? s : rec.putObject("big-data-sizes");
        ObjectNode digests = rec.get("big-data-digests") instanceof ObjectNode d ? d : rec.putObject("big-data-digests");
        for (Map.Entry<String, byte[]> item : data.entrySet()) {
            AtomicFiles.write(images.bigDataPath(id, item.getKey()), item.getValue());
            sizes.put(item.getKey(), (long) item.getValue().length);
            digests.put(item.getKey(), Ids.sha256Digest(item.getValue()));
            if (!names.contains(item.getKey())) {
                names.add(item.getKey());
            }
        }
        rec.set("big-data-names", StoreJson.NODES.arrayNode());
        StoreJson.putStrings(rec, "big-data-names", names);
        // keep containers/storage's field order: big-data-names before sizes and digests
        rec.set("big-data-sizes", rec.remove("big-data-sizes"));
        rec.set("big-data-digests", rec.remove("big-data-digests"));
        JsonNode created = rec.remove("created");
        if (created != null) {
            rec.set("created", created);
        }
        JsonNode flags = rec.remove("flags");
        if (flags != null) {
            rec.set("flags", flags);
        }
    }

    public List<ImageRecord> images() {
        try {
            return withImagesForReading(images::snapshot);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the image store: " + e.getMessage(), e);
        }
    }

    /** The image with exactly this ID. */
    public Optional<ImageRecord> image(String id) {
        if (!Ids.isHexId(id)) {
            return Optional.empty();
        }
        try {
            return withImagesForReading(() -> {
                ObjectNode n = images.get(id);
                return n == null ? Optional.<ImageRecord>empty() : Optional.of(ImageTable.record(n));
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the image store: " + e.getMessage(), e);
        }
    }

    /** The image holding exactly this name (e.g. {@code docker.io/library/busybox:latest}). */
    public Optional<ImageRecord> imageByName(String name) {
        try {
            return withImagesForReading(() -> {
                ObjectNode n = images.byName(name);
                return n == null ? Optional.<ImageRecord>empty() : Optional.of(ImageTable.record(n));
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the image store: " + e.getMessage(), e);
        }
    }

    /**
     * The image's configuration JSON (the big-data item named after its digest, the image ID, as
     * containers/storage keeps it); empty when the image or the item is absent.
     */
    public Optional<byte[]> imageConfig(String imageId) throws IOException {
        return bigData(imageId, "sha256:" + imageId);
    }

    /** The big-data item {@code key} of the image; empty when the image or the item is absent. */
    public Optional<byte[]> bigData(String imageId, String key) throws IOException {
        if (!Ids.isHexId(imageId) || key == null || key.isEmpty()) {
            return Optional.empty();
        }
        return withImagesForReading(() -> {
            ObjectNode n = images.get(imageId);
            if (n == null || !StoreJson.strings(n, "big-data-names").contains(key)) {
                return Optional.<byte[]>empty();
            }
            try {
                return Optional.of(Files.readAllBytes(images.bigDataPath(imageId, key)));
            } catch (NoSuchFileException e) {
                return Optional.<byte[]>empty();
            }
        });
    }

    /**
     * Replaces the image's names; a name another image holds is taken away from it.
     *
     * @throws NoSuchElementException when there is no such image
     */
    public void setNames(String imageId, List<String> names) throws IOException {
        List<String> newNames = cleanNames(names);
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.shared(); LockFile.Hold ih = imagesLock.exclusive()) {
            refreshLayers(lh);
            refreshImages(ih);
            ObjectNode rec = Ids.isHexId(imageId) ? images.get(imageId) : null;
            if (rec == null) {
                throw new NoSuchElementException("image " + imageId + " is not in the store");
            }
            List<String> before = StoreJson.strings(rec, "names");
            takeNamesFromOthers(new HashSet<>(newNames), imageId);
            ImageTable.putNames(rec, newNames);
            ImageTable.addToHistory(rec, newNames.stream().filter(n -> !before.contains(n)).toList());
            images.changed();
            images.save(ih);
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * Deletes the image, its big data and every one of its layers that no other image and no container
     * uses. Returns false when there is no such image.
     *
     * @throws ImageInUseException when a container was created from the image
     */
    public boolean removeImage(String id) throws IOException {
        if (!Ids.isHexId(id)) {
            return false;
        }
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.exclusive(); LockFile.Hold ih = imagesLock.exclusive()) {
            refreshLayers(lh);
            refreshImages(ih);
            ObjectNode rec = images.get(id);
            if (rec == null) {
                return false;
            }
            ContainerRefs.Usage used = containers.read();
            String user = used.imageUsers().get(id);
            if (user != null) {
                throw new ImageInUseException(id, user);
            }
            List<String> doomed = layersOnlyUsedBy(rec, used.layers());
            images.remove(id);
            images.save(ih);
            deleteQuietly(images.dataDir(id));
            if (!doomed.isEmpty()) {
                deleteLayers(doomed, lh);
            }
            log.debug("Removed image {} and layers {}", id, doomed);
            return true;
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * Deletes those of {@code layerIds} (give them top-down) that nothing uses: no image's layer chain, no
     * container, no layer being written, no remaining child. For cleaning up after a failed pull, which may
     * have committed some layers of an image it never stored. Returns the IDs deleted.
     */
    public List<String> removeUnusedLayers(List<String> layerIds) throws IOException {
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.exclusive(); LockFile.Hold ih = imagesLock.shared()) {
            refreshLayers(lh);
            refreshImages(ih);
            Set<String> used = new HashSet<>(containers.read().layers());
            for (ObjectNode image : images.records()) {
                List<String> tops = new ArrayList<>(StoreJson.strings(image, "mapped-layers"));
                String top = emptyToNull(StoreJson.text(image, "layer"));
                if (top != null) {
                    tops.add(top);
                }
                for (String cur : tops) {
                    while (cur != null && used.add(cur)) {
                        LayerTable.Entry e = layers.get(cur);
                        cur = e == null ? null : e.parent();
                    }
                }
            }
            List<String> doomed = new ArrayList<>();
            for (String id : layerIds) {
                LayerTable.Entry e = layers.get(id);
                if (e == null || e.incomplete() || used.contains(id) || inProgress.contains(id)
                        || layers.hasChildren(id, new HashSet<>(doomed))) {
                    continue;
                }
                doomed.add(id);
            }
            if (!doomed.isEmpty()) {
                deleteLayers(doomed, lh);
                log.debug("Removed unused layers {}", doomed);
            }
            return doomed;
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** The image's layers, from the top down, that nothing else (image, layer, container) depends on. */
    private List<String> layersOnlyUsedBy(ObjectNode image, Set<String> containerLayers) {
        String id = StoreJson.text(image, "id");
        Set<String> otherTops = new HashSet<>();
        for (ObjectNode other : images.records()) {
            if (!id.equals(StoreJson.text(other, "id"))) {
                otherTops.add(StoreJson.text(other, "layer"));
                otherTops.addAll(StoreJson.strings(other, "mapped-layers"));
            }
        }
        List<String> doomed = new ArrayList<>();
        List<String> starts = new ArrayList<>(StoreJson.strings(image, "mapped-layers"));
        String top = emptyToNull(StoreJson.text(image, "layer"));
        if (top != null) {
            starts.add(top);
        }
        for (String start : starts) {
            String cur = start;
            while (cur != null && !doomed.contains(cur)) {
                LayerTable.Entry e = layers.get(cur);
                if (e == null || otherTops.contains(cur) || inProgress.contains(cur) || containerLayers.contains(cur)
                        || layers.hasChildren(cur, new HashSet<>(doomed))) {
                    break;
                }
                doomed.add(cur);
                cur = e.parent();
            }
        }
        return doomed;
    }

    // ---------------------------------------------------------------- containers

    /**
     * Creates a container from image {@code imageId}: a new writable layer (random ID) on top of the image's
     * top layer (without a parent for an image without layers), a record in
     * {@code overlay-containers/containers.json}, and the container's {@code userdata} directories in the graph
     * root and the run root (an existing run-root directory is kept as it is). A failure part-way removes what
     * this call made.
     *
     * @param metadata opaque text stored with the container (CRI-O keeps JSON there); null or empty for none
     * @throws IllegalArgumentException     for a malformed ID or name, or an image that is not in the store
     * @throws ContainerNameInUseException  when another container holds one of {@code names}
     * @throws IllegalStateException        when the ID is taken, or the image's top layer is missing
     */
    public ContainerRecord createContainer(String id, List<String> names, String imageId, String metadata)
            throws IOException {
        return create(id, names, imageId, metadata, null).container();
    }

    /**
     * {@link #createContainer} and {@link #mount} in one call. The mount counts once, like {@link #mount}, and
     * needs its {@link #unmount}. A failure part-way removes what this call made, the mount included.
     *
     * @throws IOException as {@link #createContainer} and {@link #mount} throw it
     */
    public MountedContainer createMountedContainer(String id, List<String> names, String imageId, String metadata)
            throws IOException {
        return createMountedContainer(id, names, imageId, metadata, rootfs -> { });
    }

    /**
     * {@link #createMountedContainer(String, List, String, String)} that tells {@code mounted}, on this thread,
     * where the root file system is mounted as soon as it is, before the new records are written and flushed:
     * a caller can hand the root file system to the runtime while the store finishes. Until this call returns
     * the container is not in the store; when it throws, the mount it reported is gone again.
     */
    public MountedContainer createMountedContainer(String id, List<String> names, String imageId, String metadata,
                                                   Consumer<Path> mounted) throws IOException {
        return create(id, names, imageId, metadata, Objects.requireNonNull(mounted, "mounted"));
    }

    /** A container made by {@link #createMountedContainer} and the directory its root file system is mounted at. */
    public record MountedContainer(ContainerRecord container, Path rootfs) {}

    /** Creates the container; mounts its root file system and tells {@code mounted} when that is not null. */
    private MountedContainer create(String id, List<String> names, String imageId, String metadata,
                                    Consumer<Path> mounted) throws IOException {
        Ids.requireHexId("container ID", id);
        List<String> wanted = containerNames(names);
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.exclusive(); LockFile.Hold ih = imagesLock.shared();
             LockFile.Hold ch = containersLock.exclusive()) {
            refreshLayers(lh);
            refreshImages(ih);
            ObjectNode image = imageId != null && Ids.isHexId(imageId) ? images.get(imageId) : null;
            if (image == null) {
                throw new IllegalArgumentException("image " + imageId + " is not in the store");
            }
            String parent = emptyToNull(StoreJson.text(image, "layer"));
            if (parent != null) {
                LayerTable.Entry top = layers.get(parent);
                if (top == null || top.incomplete()) {
                    throw new IllegalStateException("the top layer " + parent + " of image " + imageId
                            + " is not in the store");
                }
            }
            List<ObjectNode> records = containerTable.records(ch);
            for (ObjectNode other : records) {
                String otherId = StoreJson.text(other, "id");
                if (id.equals(otherId)) {
                    throw new IllegalStateException("container " + id + " already exists");
                }
                for (String n : StoreJson.strings(other, "names")) {
                    if (wanted.contains(n)) {
                        throw new ContainerNameInUseException(n, otherId);
                    }
                }
            }
            return writeContainer(id, wanted, imageId, parent, metadata, records, mounted, lh, ch);
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * The steps of {@link #create} that change the disk, in an order a crash can be recovered from: the
     * layer's directories (and its mount, when asked for) and the userdata directories first (a crash leaves
     * a layer directory without a record, which the next open unmounts and removes), then the layer record
     * and the container record, written and flushed at once and renamed in that order ({@link #saveTogether}).
     */
    private MountedContainer writeContainer(String id, List<String> names, String imageId, String parent,
                                            String metadata, List<ObjectNode> records, Consumer<Path> mountedAt,
                                            LockFile.Hold lh, LockFile.Hold ch) throws IOException {
        String layerId = newLayerId();
        Instant now = Instant.now();
        List<String> layerNames = names.isEmpty() ? List.of() : List.of(names.get(0) + "-layer");
        for (LayerTable.Entry e : layers.entries()) {
            if (!layerNames.isEmpty() && StoreJson.strings(e.node, "names").contains(layerNames.get(0))) {
                layerNames = List.of();
            }
        }
        Path graphDir = containers.graphDir().resolve(id);
        Path runDir = runContainersDir().resolve(id);
        boolean madeLayer = false;
        boolean madeGraphDir = false;
        boolean madeRunDir = false;
        boolean madeRunUserdata = false;
        boolean mounted = false;
        boolean saved = false;
        try {
            driver.create(layerId, parent);
            madeLayer = true;
            Path rootfs = null;
            if (mountedAt != null) {
                rootfs = mounts.mount(layerId, mountedAt);
                mounted = true;
            }
            // (existence checks that follow links: the no-follow ones throw and catch inside the JDK)
            madeGraphDir = !Files.exists(graphDir);
            AtomicFiles.createDirectory(graphDir.resolve("userdata"), AtomicFiles.PRIVATE_DIR);
            madeRunDir = !Files.exists(runDir);
            madeRunUserdata = !Files.exists(runDir.resolve("userdata"));
            AtomicFiles.createDirectory(runDir.resolve("userdata"), AtomicFiles.PRIVATE_DIR);
            LayerTable.Entry entry = layers.add(LayerTable.newRecord(layerId, layerNames, parent, now));
            ObjectNode record = ContainerTable.newRecord(id, names, imageId, layerId, metadata, now);
            List<ObjectNode> updated = new ArrayList<>(records);
            updated.add(record);
            List<Path> targets = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (Map.Entry<Path, Collection<ObjectNode>> f : layers.changedRecords(Set.of(entry.file)).entrySet()) {
                targets.add(f.getKey());
                data.add(StoreJson.arrayBytes(f.getValue()));
            }
            targets.add(containerTable.file());
            data.add(StoreJson.arrayBytes(updated));
            List<AtomicFiles.Staged> staged = AtomicFiles.stageAllDataFlushed(targets, data);
            saved = true;
            saveTogether(staged, lh, updated, ch);
            log.debug("Created container {} (layer {}) from image {}", id, layerId, imageId);
            return new MountedContainer(ContainerTable.toRecord(record), rootfs);
        } catch (IOException | RuntimeException e) {
            if (mounted) {
                undo(e, () -> mounts.unmount(layerId, true));
            }
            if (saved) {
                undo(e, () -> containerTable.write(records, ch));
                undo(e, () -> deleteLayers(List.of(layerId), lh));
            } else if (madeLayer) {
                layers.remove(layerId);
                undo(e, () -> driver.remove(layerId));
            }
            if (madeGraphDir) {
                undo(e, () -> OverlayDriver.deleteTree(graphDir));
            }
            if (madeRunDir) {
                undo(e, () -> OverlayDriver.deleteTree(runDir));
            } else if (madeRunUserdata) {
                undo(e, () -> OverlayDriver.deleteTree(runDir.resolve("userdata")));
            }
            throw e;
        }
    }

    /**
     * Renames the staged layer files and {@code containers.json} (the last one) into place in that order, so
     * that a crash in between leaves a layer without a container, never the reverse.
     */
    private void saveTogether(List<AtomicFiles.Staged> staged, LockFile.Hold lh, List<ObjectNode> containerRecords,
                              LockFile.Hold ch) throws IOException {
        try {
            for (int i = 0; i < staged.size() - 1; i++) {
                staged.get(i).commit();
            }
            layers.written(lh);
            staged.getLast().commit();
            containerTable.written(containerRecords, ch);
        } catch (IOException | RuntimeException e) {
            for (AtomicFiles.Staged st : staged) {
                undo(e, st::close);
            }
            throw e;
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    /** Runs a clean-up step after {@code failure}; what goes wrong in it is added to the failure. */
    private static void undo(Throwable failure, Step step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The names for a new container: not blank, each once, in the order given. */
    private static List<String> containerNames(List<String> names) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String n : names == null ? List.<String>of() : names) {
            if (n == null || n.isBlank()) {
                throw new IllegalArgumentException("container names must not be empty");
            }
            out.add(n);
        }
        return new ArrayList<>(out);
    }

    /** A random layer ID no layer has. */
    private String newLayerId() {
        while (true) {
            byte[] b = new byte[32];
            ID_RANDOM.nextBytes(b);
            String id = java.util.HexFormat.of().formatHex(b);
            if (layers.get(id) == null && !Files.exists(driver.dir(id))) {
                return id;
            }
        }
    }

    /** The container with this ID; empty when there is none. */
    public Optional<ContainerRecord> container(String id) throws IOException {
        if (id == null) {
            return Optional.empty();
        }
        checkOpen();
        try (LockFile.Hold ch = containersLock.shared()) {
            return ContainerTable.find(containerTable.records(ch), id).map(ContainerTable::toRecord);
        }
    }

    /** The container holding this name; empty when there is none. */
    public Optional<ContainerRecord> containerByName(String name) throws IOException {
        if (name == null) {
            return Optional.empty();
        }
        return containers().stream().filter(c -> c.names().contains(name)).findFirst();
    }

    /** All containers in {@code containers.json}, in the order they were created. */
    public List<ContainerRecord> containers() throws IOException {
        checkOpen();
        try (LockFile.Hold ch = containersLock.shared()) {
            return ContainerTable.toRecords(containerTable.records(ch));
        }
    }

    /**
     * Mounts the container's root file system (its layer's overlay over the image's layers) at the layer's
     * {@code merged} directory and returns that path. Mounts are counted in the run root's
     * {@code overlay-layers/mountpoints.json}, as containers/storage counts them: a second call returns the
     * same path, and each call needs its {@link #unmount} (or one forced unmount for all). The counts outlive
     * the daemon process; a reboot clears them with the run root. While any container is mounted,
     * {@code G/overlay} is bound onto itself as a private mount (as containers/storage keeps it), so the
     * root file systems do not propagate to other mount namespaces and podman does not hide them.
     *
     * @throws ContainerNotFoundException when there is no such container
     * @throws IOException                when the mount fails, or its options exceed the kernel's 4095 bytes
     *                                    (absolute paths of the lower layers' short links; with a graph root
     *                                    of typical length, more than about 60 layers)
     */
    public Path mount(String id) throws IOException {
        return mount(id, Optional.empty());
    }

    /**
     * {@link #mount(String)} with the SELinux label the container's files should carry. Labels are not
     * applied yet (this store has no SELinux support): the label is accepted and ignored.
     */
    public Path mount(String id, Optional<String> mountLabel) throws IOException {
        Objects.requireNonNull(mountLabel, "mountLabel");
        checkOpen();
        rw.readLock().lock();
        try {
            String layer = containerLayer(id);
            try {
                return mounts.mount(layer);
            } catch (IOException e) {
                throw new IOException("mounting the root file system of container " + id + ": " + e.getMessage(), e);
            }
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * Drops one mount of the container's root file system ({@code force}: all of them) and unmounts it when
     * none is left. Unmounting a container that is not mounted does nothing.
     *
     * @throws ContainerNotFoundException when there is no such container
     */
    public void unmount(String id, boolean force) throws IOException {
        checkOpen();
        rw.readLock().lock();
        try {
            mounts.unmount(containerLayer(id), force);
        } finally {
            rw.readLock().unlock();
        }
    }

    private String containerLayer(String id) throws IOException {
        ContainerRecord c = container(id).orElseThrow(() -> new ContainerNotFoundException(id));
        if (!Ids.isHexId(c.layer())) {
            throw new IOException("container " + id + " has no valid layer (\"" + c.layer() + "\")");
        }
        return c.layer();
    }

    /**
     * Deletes a container: unmounts its root file system, removes its record, its layer (record, directory and
     * {@code l/} link), its graph-root directory and its run-root directory. Whatever the caller mounted below
     * those directories must be unmounted first. When some part cannot be removed, the rest still is and the
     * first failure is thrown.
     *
     * @throws ContainerNotFoundException when there is no such container
     */
    public void deleteContainer(String id) throws IOException {
        checkOpen();
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.exclusive(); LockFile.Hold ch = containersLock.exclusive()) {
            refreshLayers(lh);
            List<ObjectNode> records = containerTable.records(ch);
            ObjectNode record = ContainerTable.find(records, id).orElseThrow(() -> new ContainerNotFoundException(id));
            String layer = emptyToNull(StoreJson.text(record, "layer"));
            if (layer != null && Ids.isHexId(layer)) {
                mounts.unmount(layer, true);
            }
            List<ObjectNode> remaining = new ArrayList<>(records);
            remaining.remove(record);
            containerTable.write(remaining, ch);
            List<Step> steps = new ArrayList<>();
            if (layer != null && Ids.isHexId(layer) && layers.get(layer) != null) {
                steps.add(() -> deleteLayers(List.of(layer), lh));
            }
            steps.add(() -> OverlayDriver.deleteTree(containers.graphDir().resolve(id)));
            steps.add(() -> OverlayDriver.deleteTree(runContainersDir().resolve(id)));
            IOException failure = null;
            for (Step step : steps) {
                try {
                    step.run();
                } catch (IOException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw new IOException("container " + id + " was deleted, but not all its files: "
                        + failure.getMessage(), failure);
            }
            log.debug("Deleted container {} (layer {})", id, layer);
        } catch (IOException | RuntimeException e) {
            forgetAfterFailure();
            throw e;
        } finally {
            rw.writeLock().unlock();
        }
    }

    private Path runContainersDir() {
        return runRoot.resolve(DRIVER + "-containers");
    }


    /**
     * The image's size as containers/storage computes it: the uncompressed sizes of all its layers plus the
     * sizes of its big-data items.
     *
     * @throws NoSuchElementException when there is no such image
     */
    public long imageSize(String id) throws IOException {
        return withLayersAndImagesForReading(() -> {
            ObjectNode rec = Ids.isHexId(id) ? images.get(id) : null;
            if (rec == null) {
                throw new NoSuchElementException("image " + id + " is not in the store");
            }
            long size = 0;
            Set<String> seen = new HashSet<>();
            List<String> queue = new ArrayList<>(StoreJson.strings(rec, "mapped-layers"));
            String top = emptyToNull(StoreJson.text(rec, "layer"));
            if (top != null) {
                queue.add(0, top);
            }
            while (!queue.isEmpty()) {
                String layerId = queue.remove(queue.size() - 1);
                if (!seen.add(layerId)) {
                    continue;
                }
                LayerTable.Entry e = layers.get(layerId);
                if (e == null) {
                    throw new IOException("layer " + layerId + " of image " + id + " is missing");
                }
                LayerInfo info = e.info();
                size += info.diffDigest() != null && info.diffSize() > 0 ? info.diffSize()
                        : DiskUsage.walk(driver.diffDir(layerId), false).bytes();
                if (info.parent() != null) {
                    queue.add(info.parent());
                }
            }
            if (rec.get("big-data-sizes") instanceof ObjectNode sizes) {
                for (String key : StoreJson.strings(rec, "big-data-names")) {
                    size += sizes.path(key).asLong(0);
                }
            }
            return size;
        });
    }

    /** Disk use of the layers ({@code G/overlay}) and the image records ({@code G/overlay-images}). */
    public Usage usage() throws IOException {
        checkOpen();
        Usage layerUse = DiskUsage.walk(driver.home(), true);
        Usage imageUse = DiskUsage.walk(graphRoot.resolve(DRIVER + "-images"), false);
        return new Usage(layerUse.bytes() + imageUse.bytes(), layerUse.inodes() + imageUse.inodes(),
                graphRoot.resolve(DRIVER + "-images"));
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Forgets the pending layers without deleting them (their records stay incomplete, and the next
     * {@link #open} removes them) and releases this process's hold on the lock files.
     */
    @Override
    public void close() {
        List<PendingLayer> open;
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(pending.values());
            pending.clear();
            open.forEach(p -> inProgress.remove(p.id()));
        } finally {
            rw.writeLock().unlock();
        }
        for (PendingLayer p : open) {
            p.detach();
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T get() throws IOException;
    }

    private <T> T withLayersForReading(Read<T> read) throws IOException {
        checkOpen();
        rw.readLock().lock();
        try (LockFile.Hold lh = layersLock.shared()) {
            if (!layers.stale(lh.token())) {
                return read.get();
            }
        } finally {
            rw.readLock().unlock();
        }
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.shared()) {
            refreshLayers(lh);
            return read.get();
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Runs {@code read} on an up-to-date copy of the image records. */
    private <T> T withImagesForReading(Read<T> read) throws IOException {
        checkOpen();
        rw.readLock().lock();
        try (LockFile.Hold ih = imagesLock.shared()) {
            if (!images.stale(ih.token())) {
                return read.get();
            }
        } finally {
            rw.readLock().unlock();
        }
        rw.writeLock().lock();
        try (LockFile.Hold ih = imagesLock.shared()) {
            refreshImages(ih);
            return read.get();
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Runs {@code read} on up-to-date copies of the layer and image records (locks taken layers first). */
    private <T> T withLayersAndImagesForReading(Read<T> read) throws IOException {
        checkOpen();
        rw.readLock().lock();
        try (LockFile.Hold lh = layersLock.shared(); LockFile.Hold ih = imagesLock.shared()) {
            if (!layers.stale(lh.token()) && !images.stale(ih.token())) {
                return read.get();
            }
        } finally {
            rw.readLock().unlock();
        }
        rw.writeLock().lock();
        try (LockFile.Hold lh = layersLock.shared(); LockFile.Hold ih = imagesLock.shared()) {
            refreshLayers(lh);
            refreshImages(ih);
            return read.get();
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Reloads the layer records if another writer changed them. Needs the in-process write lock. */
    private void refreshLayers(LockFile.Hold hold) throws IOException {
        byte[] token = hold.token();
        if (layers.stale(token)) {
            layers.load(token);
        }
    }

    private void refreshImages(LockFile.Hold hold) throws IOException {
        byte[] token = hold.token();
        if (images.stale(token)) {
            images.load(token);
        }
    }

    private void takeNamesFromOthers(Set<String> names, String exceptId) {
        for (ObjectNode other : images.holdersOf(names, exceptId)) {
            List<String> kept = StoreJson.strings(other, "names");
            kept.removeAll(names);
            ImageTable.putNames(other, kept);
            log.info("Names {} moved from image {} to {}", names, StoreJson.text(other, "id"), exceptId);
        }
        images.changed();
    }

    private static List<String> cleanNames(List<String> names) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String n : names == null ? List.<String>of() : names) {
            if (n == null || n.isBlank()) {
                throw new IllegalArgumentException("image names must not be empty");
            }
            out.add(n);
        }
        return new ArrayList<>(out);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static void deleteQuietly(Path dir) {
        try {
            OverlayDriver.deleteTree(dir);
        } catch (IOException e) {
            log.warn("Could not remove {}: {}", dir, e.toString());
        }
    }

    /** After a change failed half-way, the files are the truth: reload them on the next access. */
    private void forgetAfterFailure() {
        layers.invalidate();
        images.invalidate();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store at " + graphRoot + " is closed");
        }
    }
}
