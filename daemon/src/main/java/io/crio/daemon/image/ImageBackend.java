package io.crio.daemon.image;

import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.Durations;
import io.crio.image.ImageCatalog;
import io.crio.image.ImagePuller;
import io.crio.image.RegistriesConfig;
import io.crio.image.RegistryClient;
import io.crio.storage.ContainersStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image store, catalog and puller, opened on first use so that start-up does not pay for them.
 * Opening the store also removes layers a killed pull left incomplete.
 */
public final class ImageBackend {

    private static final Logger log = LoggerFactory.getLogger(ImageBackend.class);

    /** The opened parts. */
    public record Parts(ContainersStore store, ImageCatalog catalog, ImagePuller puller) {}

    private final CrioConfig config;
    private final Path registriesFile;
    private final Path registriesDir;
    private final io.crio.daemon.Lazy<Parts> parts = new io.crio.daemon.Lazy<>(this::open);

    public ImageBackend(CrioConfig config, Path registriesFile, Path registriesDir) {
        this.config = config;
        this.registriesFile = registriesFile;
        this.registriesDir = registriesDir;
    }

    public Parts get() {
        return parts.get();
    }

    private Parts open() {
        try {
            Path root = Path.of(config.crio().root());
            Path runroot = Path.of(config.crio().runroot());
            ContainersStore store = ContainersStore.open(root, runroot);
            RegistriesConfig registries = RegistriesConfig.load(registriesFile, registriesDir);
            int parallel = config.crio().image().effectiveMaxParallelDownloads();
            long stallNanos = Durations.tomlDurationNanos(config.crio().image().pullProgressTimeout());
            Duration stall = Duration.ofNanos(Math.max(0, stallNanos));
            // progress is reported every tenth of the timeout, as in CRI-O, and every 10 s without one
            Duration interval = stall.isZero() ? Duration.ofSeconds(10) : stall.dividedBy(10);
            ImagePuller puller = new ImagePuller(RegistryClient.createDefault(), store, registries, parallel, interval, stall);
            log.info("Image store opened at {} (runroot {}); search registries: {}", root, runroot,
                    registries.unqualifiedSearchRegistries());
            return new Parts(store, new ImageCatalog(store, registries), puller);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the image store: " + e.getMessage(), e);
        }
    }
}
