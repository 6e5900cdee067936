package io.crio.image;

import io.crio.storage.ContainersStore;
import io.crio.storage.ImageRecord;
import io.crio.storage.LayerInfo;
import io.crio.storage.PendingLayer;
import io.crio.storage.unpack.LayerUnpacker;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls images into the store: resolves the reference (search registries, mirrors), fetches the
 * manifest (choosing the platform from an index), the config, and every missing layer in parallel —
 * each streamed from the registry through digest checks and decompression straight into its layer
 * directory. Anything a failed pull created is removed. Identical pulls in flight share one download.
 */
public final class ImagePuller {

    private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);
    private static final long MAX_CONFIG_BYTES = 8L * 1024 * 1024;

    private final RegistryClient client;
    private final ContainersStore store;
    private final RegistriesConfig registries;
    private final Semaphore layerSlots;
    private final Duration progressInterval;
    private final Duration stallTimeout;
    private final Map<String, InFlight> pullsInFlight = new ConcurrentHashMap<>();
    /** How many running pulls need each layer; a failed pull's cleanup leaves those alone. */
    private final Map<String, Integer> layerUsers = new java.util.HashMap<>();

    /**
     * A pull in progress: its result, how many clients wait for it, and its watch once layers are being
     * fetched. When every client has gone, the pull is cancelled.
     */
    private static final class InFlight {
        final CompletableFuture<PulledImage> result = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger(1);
        final java.util.concurrent.atomic.AtomicReference<PullWatch> watch = new java.util.concurrent.atomic.AtomicReference<>();
        volatile boolean abandoned;

        boolean join() {
            int n;
            do {
                n = waiters.get();
                if (n == 0) {
                    return false;
                }
            } while (!waiters.compareAndSet(n, n + 1));
            return true;
        }

        void leave() {
            if (waiters.decrementAndGet() == 0 && !result.isDone()) {
                abandoned = true;
                log.info("Cancelling a pull: every client cancelled it");
                PullWatch w = watch.get();
                if (w != null) {
                    w.cancel("every client cancelled it");
                }
            }
        }
    }
    private final Map<String, CompletableFuture<LayerInfo>> layersInFlight = new ConcurrentHashMap<>();

    public ImagePuller(RegistryClient client, ContainersStore store, RegistriesConfig registries, int parallelLayers,
                       Duration progressInterval, Duration stallTimeout) {
        this.client = client;
        this.store = store;
        this.registries = registries;
        this.layerSlots = new Semaphore(Math.max(1, parallelLayers));
        this.progressInterval = progressInterval;
        this.stallTimeout = stallTimeout;
    }

    /** Pulls {@code request.image()}; a pull of the same reference already running is joined. */
    public PulledImage pull(PullRequest request) throws ImageException, IOException {
        return pull(request, hook -> { });
    }

    /**
     * Like {@link #pull(PullRequest)}; {@code onClientGone} receives the action to run when this client
     * stops waiting (e.g. its call was cancelled). A pull no client waits for any more is cancelled and
     * cleaned up.
     */
    public PulledImage pull(PullRequest request, java.util.function.Consumer<Runnable> onClientGone)
            throws ImageException, IOException {
        ImageReference.Parsed parsed;
        try {
            parsed = ImageReference.parseDetailed(request.image());
        } catch (IllegalArgumentException e) {
            throw new ImageException(ImageException.Kind.INVALID_REFERENCE, e.getMessage());
        }
        String key = parsed.reference() + "|" + request.platform() + "|" + request.credentials().hashCode();
        InFlight mine = new InFlight();
        InFlight running = pullsInFlight.putIfAbsent(key, mine);
        if (running != null && running.join()) {
            log.info("Joining the pull of {} already in progress", parsed.reference());
            onClientGone.accept(running::leave);
            return await(running.result);
        }
        if (running != null) {
            pullsInFlight.replace(key, running, mine);
        }
        onClientGone.accept(mine::leave);
        try {
            PulledImage result = pullCandidates(parsed, request, mine);
            mine.result.complete(result);
            return result;
        } catch (ImageException | IOException | RuntimeException e) {
            mine.result.completeExceptionally(e);
            throw e;
        } finally {
            pullsInFlight.remove(key, mine);
        }
    }

    private static PulledImage await(CompletableFuture<PulledImage> f) throws ImageException, IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(ImageException.Kind.CANCELLED, "pull interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ImageException ie) {
                throw ie;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private PulledImage pullCandidates(ImageReference.Parsed parsed, PullRequest request, InFlight flight)
            throws ImageException, IOException {
        List<ImageReference> names = parsed.qualified() ? List.of(parsed.reference())
                : registries.expandShortName(parsed.reference());
        List<String> failures = new ArrayList<>();
        ImageException lastError = null;
        for (ImageReference name : names) {
            for (RegistriesConfig.Candidate c : registries.candidates(name)) {
                if (flight.abandoned) {
                    throw new ImageException(ImageException.Kind.CANCELLED, "pull of " + name + " cancelled: every client cancelled it");
                }
                try {
                    return pullFrom(name, c, request, flight);
                } catch (ImageException e) {
                    boolean fatal = e.kind() == ImageException.Kind.CANCELLED || (!c.mirror()
                            && (e.kind() == ImageException.Kind.INVALID_CONTENT || e.kind() == ImageException.Kind.UNSUPPORTED
                            || e.kind() == ImageException.Kind.NO_MATCHING_PLATFORM));
                    if (fatal) {
                        throw e;
                    }
                    lastError = e;
                    failures.add(c.reference() + ": " + e.getMessage());
                    log.info("Pulling {} from {} failed: {}", name, c.endpoint().host(), e.getMessage());
                }
            }
        }
        if (failures.size() == 1 && lastError != null) {
            throw lastError;
        }
        throw new ImageException(lastError == null ? ImageException.Kind.NOT_FOUND : lastError.kind(),
                "pulling " + parsed.reference() + " failed: " + String.join("; ", failures));
    }

    private PulledImage pullFrom(ImageReference name, RegistriesConfig.Candidate c, PullRequest request, InFlight flight)
            throws ImageException, IOException {
        RegistryEndpoint ep = c.endpoint();
        String repo = c.reference().repository();
        RegistryClient.FetchedManifest fetched = client.manifest(ep, repo, name.manifestReference(), request.credentials());
        if (name.digest() != null && !fetched.digest().equals(name.digest())) {
            throw ImageException.invalid("manifest of " + name + " has digest " + fetched.digest() + ", not the one asked for");
        }
        Manifest manifest = Manifest.parse(fetched.body(), fetched.contentType());
        RegistryClient.FetchedManifest indexFetched = null;
        if (manifest.isIndex()) {
            indexFetched = fetched;
            Manifest index = manifest;
            Descriptor chosen = request.platform().select(index.manifests()).orElseThrow(() -> new ImageException(
                    ImageException.Kind.NO_MATCHING_PLATFORM, "image " + name + " has no manifest for platform "
                    + request.platform() + " (it has: " + platforms(index) + ")"));
            fetched = client.manifest(ep, repo, chosen.digest(), request.credentials());
            if (!fetched.digest().toString().equals(chosen.digest())) {
                throw ImageException.invalid("manifest " + chosen.digest() + " of " + name + " does not match its digest");
            }
            manifest = Manifest.parse(fetched.body(), chosen.mediaType());
            if (manifest.isIndex()) {
                throw ImageException.unsupported("nested image indexes are not supported");
            }
        }
        Digest manifestDigest = fetched.digest();
        Digest configDigest = manifest.config().parsedDigest();
        byte[] configBytes = readConfig(ep, repo, configDigest, request.credentials());
        ImageConfig config = ImageConfig.parse(configBytes);
        List<String> diffIds = config.rootfs().diffIds();
        if (diffIds.size() != manifest.layers().size()) {
            throw ImageException.invalid("image " + name + " lists " + manifest.layers().size() + " layers but its config has "
                    + diffIds.size() + " diff IDs");
        }
        String imageId = configDigest.hex();
        List<String> ids = new ArrayList<>();
        String parentId = null;
        for (String diffId : diffIds) {
            parentId = ContainersStore.layerId(parentId, diffId);
            ids.add(parentId);
        }
        List<String> begun = java.util.Collections.synchronizedList(new ArrayList<>());
        useLayers(ids, 1);
        try {
            return store(name, indexFetched, fetched, configDigest, configBytes, config, imageId,
                    pullLayers(name, ep, repo, manifest.layers(), ids, diffIds, request.credentials(), flight, begun));
        } catch (ImageException | IOException | RuntimeException e) {
            removeLayersOfFailedPull(name, begun);
            throw e;
        } finally {
            useLayers(ids, -1);
        }
    }

    private void useLayers(List<String> ids, int delta) {
        synchronized (layerUsers) {
            for (String id : ids) {
                layerUsers.merge(id, delta, (a, b) -> a + b == 0 ? null : a + b);
            }
        }
    }

    /** Removes the layers a failed pull committed that no image and no other running pull needs. */
    private void removeLayersOfFailedPull(ImageReference name, List<String> begun) {
        // under the lock, so no other pull starts relying on these layers while they are removed
        synchronized (layerUsers) {
            List<String> candidates = new ArrayList<>(begun).stream()
                    .filter(id -> layerUsers.getOrDefault(id, 0) <= 1).toList();
            if (candidates.isEmpty()) {
                return;
            }
            try {
                List<String> topDown = new ArrayList<>(candidates);
                java.util.Collections.reverse(topDown);
                List<String> removed = store.removeUnusedLayers(topDown);
                if (!removed.isEmpty()) {
                    log.info("Removed {} layer(s) the failed pull of {} had stored", removed.size(), name);
                }
            } catch (IOException | RuntimeException e) {
                log.warn("Could not remove the layers of the failed pull of {}: {}", name, e.getMessage());
            }
        }
    }

    private PulledImage store(ImageReference name, RegistryClient.FetchedManifest index, RegistryClient.FetchedManifest fetched,
                              Digest configDigest, byte[] configBytes, ImageConfig config, String imageId, String top)
            throws IOException {
        // the tag, and the repository@digest name, which keeps the image's digest listed even when the tag
        // later moves to another image
        Digest manifestDigest = fetched.digest();
        List<String> names = new ArrayList<>();
        name.taggedName().ifPresent(names::add);
        names.add(name.name() + "@" + manifestDigest);
        Map<String, byte[]> bigData = new LinkedHashMap<>();
        bigData.put("manifest-" + manifestDigest, fetched.body());
        bigData.put("manifest", fetched.body());
        bigData.put(configDigest.toString(), configBytes);
        List<String> digests = new ArrayList<>(List.of(manifestDigest.toString()));
        if (index != null) {
            // pulled through an index: its digest names the image too, as kubelet may ask for it
            names.add(name.name() + "@" + index.digest());
            digests.add(index.digest().toString());
            bigData.put("manifest-" + index.digest(), index.body());
        }
        Instant created = parseCreated(config.created());
        ImageRecord record = store.putImage(imageId, top, names, digests, bigData, created);
        log.debug("Stored image {} as {} (manifest {})", name, record.id(), manifestDigest);
        return new PulledImage(record.id(), name, manifestDigest);
    }

    private static String platforms(Manifest index) {
        List<String> out = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            if (d.platform() != null) {
                out.add(d.platform().os() + "/" + d.platform().architecture()
                        + (d.platform().variant() == null || d.platform().variant().isEmpty() ? "" : "/" + d.platform().variant()));
            }
        }
        return String.join(", ", out);
    }

    private static Instant parseCreated(String created) {
        try {
            return created == null ? Instant.now() : java.time.OffsetDateTime.parse(created).toInstant();
        } catch (RuntimeException e) {
            return Instant.now();
        }
    }

    private byte[] readConfig(RegistryEndpoint ep, String repo, Digest digest, Credentials creds) throws ImageException {
        try (InputStream in = client.blob(ep, repo, digest, creds)) {
            byte[] bytes = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
            if (bytes.length > MAX_CONFIG_BYTES) {
                throw ImageException.invalid("image config " + digest + " is larger than " + MAX_CONFIG_BYTES + " bytes");
            }
            if (!Digest.sha256(bytes).equals(digest)) {
                throw ImageException.invalid("image config does not match its digest " + digest);
            }
            return bytes;
        } catch (IOException e) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "reading image config " + digest + ": " + e.getMessage(), e);
        }
    }

    /** Makes sure every layer is in the store; returns the top layer's ID. */
    private String pullLayers(ImageReference name, RegistryEndpoint ep, String repo, List<Descriptor> layers, List<String> ids,
                              List<String> diffIds, Credentials creds, InFlight flight, List<String> begun)
            throws ImageException, IOException {
        long total = layers.stream().mapToLong(Descriptor::size).sum();
        PullWatch watch = new PullWatch(name, total, progressInterval, stallTimeout);
        flight.watch.set(watch);
        if (flight.abandoned) {
            watch.cancel("every client cancelled it");
        }
        AtomicLong done = watch.done();
        try {
            List<Future<LayerInfo>> futures = new ArrayList<>();
            Throwable startFailure = null;
            try {
                for (int i = 0; i < layers.size(); i++) {
                    futures.add(layer(ids.get(i), i == 0 ? null : ids.get(i - 1), ep, repo, layers.get(i), diffIds.get(i),
                            creds, watch, begun));
                }
            } catch (IOException | RuntimeException e) {
                // stop what was started and let it finish before cleaning up
                startFailure = e;
                watch.cancel("a layer could not be started: " + e.getMessage());
            }
            ImageException first = null;
            IOException firstIo = null;
            RuntimeException firstRuntime = null;
            boolean interrupted = false;
            for (Future<LayerInfo> f : futures) {
                while (true) {
                    try {
                        f.get();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                        watch.cancel("the pull was interrupted");
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof ImageException ie && first == null) {
                            first = ie;
                        } else if (e.getCause() instanceof IOException io && firstIo == null) {
                            firstIo = io;
                        } else if (e.getCause() instanceof RuntimeException re && firstRuntime == null) {
                            firstRuntime = re;
                        } else if (first == null && firstIo == null && firstRuntime == null) {
                            firstRuntime = new IllegalStateException("layer failed: " + e.getCause(), e.getCause());
                        }
                        break;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new ImageException(ImageException.Kind.CANCELLED, "pull interrupted");
            }
            if (startFailure instanceof IOException io) {
                throw io;
            }
            if (startFailure instanceof RuntimeException re) {
                throw re;
            }
            if (firstRuntime != null && first == null && firstIo == null && !watch.cancelled()) {
                throw firstRuntime;
            }
            if (watch.cancelled()) {
                throw new ImageException(ImageException.Kind.CANCELLED, "pull of " + name + " was cancelled: "
                        + watch.cancelReason());
            }
            if (first != null) {
                throw first;
            }
            if (firstIo != null) {
                throw firstIo;
            }
        } finally {
            watch.close();
        }
        double secs = Math.max(0.001, watch.elapsed().toMillis() / 1000.0);
        log.info("Layers of {} ready: {} bytes fetched in {} s ({} MB/s)", name, done.get(), String.format("%.2f", secs),
                String.format("%.1f", done.get() / secs / 1e6));
        return ids.get(ids.size() - 1);
    }

    /**
     * The layer with {@code id}: already stored, being fetched by another pull (joined), or fetched now.
     * Layers are begun in order (a layer's directory names its parents) and then fetched in parallel;
     * each is committed only after its parent, so a crash never leaves a complete layer over an
     * incomplete one.
     */
    private CompletableFuture<LayerInfo> layer(String id, String parentId, RegistryEndpoint ep, String repo, Descriptor d,
                                    String diffId, Credentials creds, PullWatch watch, List<String> begun)
            throws IOException {
        Optional<LayerInfo> present = store.layer(id);
        if (present.isPresent()) {
            watch.done().addAndGet(d.size());
            return CompletableFuture.completedFuture(present.get());
        }
        CompletableFuture<LayerInfo> mine = new CompletableFuture<>();
        CompletableFuture<LayerInfo> other = layersInFlight.putIfAbsent(id, mine);
        if (other != null) {
            // another pull fetches it; if that pull fails or is cancelled, fetch it ourselves
            return other.exceptionallyCompose(t -> {
                try {
                    return layer(id, parentId, ep, repo, d, diffId, creds, watch, begun);
                } catch (IOException | RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            });
        }
        Optional<LayerInfo> stored = store.layer(id);
        if (stored.isPresent()) {
            // committed by another pull between the first look and the claim
            layersInFlight.remove(id, mine);
            mine.complete(stored.get());
            return mine;
        }
        PendingLayer pending;
        try {
            pending = store.beginLayer(id, parentId);
            begun.add(id);
        } catch (IOException | RuntimeException e) {
            layersInFlight.remove(id, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        Thread.ofVirtual().name("pull-layer-" + id.substring(0, 12)).start(() -> {
            try (pending) {
                mine.complete(fetchLayer(pending, parentId, ep, repo, d, diffId, creds, watch));
            } catch (Throwable t) {
                mine.completeExceptionally(t);
            } finally {
                layersInFlight.remove(id, mine);
            }
        });
        return mine;
    }

    private LayerInfo fetchLayer(PendingLayer pending, String parentId, RegistryEndpoint ep, String repo, Descriptor d,
                                 String diffId, Credentials creds, PullWatch watch)
            throws ImageException, IOException, InterruptedException {
        Digest compressedDigest = d.parsedDigest();
        Digest expectedDiff = Digest.parse(diffId);
        long diffSize;
        long compressedSize;
        VerifyingInputStream compressed = null;
        VerifyingInputStream uncompressed = null;
        layerSlots.acquire();
        try {
            InputStream tracked = watch.track(client.blob(ep, repo, compressedDigest, creds));
            if (watch.cancelled()) {
                watch.untrack(tracked);
                tracked.close();
                throw new ImageException(ImageException.Kind.CANCELLED, "pull cancelled: " + watch.cancelReason());
            }
            try (InputStream blob = tracked) {
                compressed = new VerifyingInputStream(blob, compressedDigest, watch.done());
                try {
                    uncompressed = new VerifyingInputStream(Decompression.decompress(compressed), expectedDiff, null);
                    LayerUnpacker.unpack(uncompressed, pending.diffDir());
                    uncompressed.drain();
                } catch (IOException e) {
                    // corrupt data usually shows first as a decompression or tar error: report the digest
                    // mismatch that caused it when there is one
                    try {
                        compressed.drain();
                    } catch (IOException ignored) {
                        throw e;
                    }
                    Digest got = compressed.digest();
                    if (!got.equals(compressedDigest)) {
                        throw ImageException.invalid("layer " + compressedDigest + " does not match its digest (got "
                                + got + ")");
                    }
                    throw e;
                }
                compressed.drain();
            } finally {
                watch.untrack(tracked);
            }
            Digest gotCompressed = compressed.digest();
            if (!gotCompressed.equals(compressedDigest)) {
                throw ImageException.invalid("layer " + compressedDigest + " does not match its digest (got " + gotCompressed + ")");
            }
            if (d.size() > 0 && compressed.count() != d.size()) {
                throw ImageException.invalid("layer " + compressedDigest + " has " + compressed.count()
                        + " bytes, the manifest says " + d.size());
            }
            Digest gotDiff = uncompressed.digest();
            if (!gotDiff.equals(expectedDiff)) {
                throw ImageException.invalid("layer " + compressedDigest + " unpacks to " + gotDiff
                        + ", but the image config says " + expectedDiff);
            }
            diffSize = uncompressed.count();
            compressedSize = compressed.count();
        } catch (io.crio.storage.unpack.UnsafeLayerException e) {
            throw ImageException.invalid("layer " + compressedDigest + " is unsafe: " + e.getMessage());
        } finally {
            layerSlots.release();
            if (compressed != null) {
                compressed.release();
            }
            if (uncompressed != null) {
                uncompressed.release();
            }
        }
        awaitParent(parentId);
        LayerInfo parent = parentId == null ? null : store.layer(parentId).orElse(null);
        if (parentId != null && parent == null) {
            throw new ImageException(ImageException.Kind.TRANSIENT, "parent layer " + parentId + " of this layer was not stored");
        }
        return pending.commit(expectedDiff.toString(), diffSize, compressedDigest.toString(), compressedSize);
    }

    private void awaitParent(String parentId) throws InterruptedException {
        if (parentId == null) {
            return;
        }
        CompletableFuture<LayerInfo> parent = layersInFlight.get(parentId);
        if (parent != null) {
            try {
                parent.get();
            } catch (ExecutionException e) {
                // the parent's own failure is reported by its future
            }
        }
    }
}
