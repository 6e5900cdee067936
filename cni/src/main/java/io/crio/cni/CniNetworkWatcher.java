package io.crio.cni;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default CNI network of a configuration directory, looked up again only when the directory changes.
 *
 * <p>The directory is watched with the platform's file watch service (inotify on Linux), created on the first
 * {@link #current()}; its events are collected by the service's own thread and consumed by the next
 * {@link #current()}, which then reloads. While the directory does not exist, and while no usable network was
 * found (e.g. because a plugin executable is still missing, and plugin directories are not watched), every call
 * looks again. A directory that is replaced (a new inode at the same path) is watched anew.
 */
public final class CniNetworkWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CniNetworkWatcher.class);

    private final Path networkDir;
    private final String defaultNetworkName;
    private final CniConfigLoader loader;

    private WatchService watchService;
    private boolean watchUnavailable;
    private WatchKey key;
    private Object watchedDirKey;
    private CniConfigLoader.Lookup cached;
    private boolean closed;

    public CniNetworkWatcher(Path networkDir, List<Path> pluginDirs, String defaultNetworkName) {
        this.networkDir = Objects.requireNonNull(networkDir);
        this.defaultNetworkName = defaultNetworkName == null ? "" : defaultNetworkName;
        this.loader = new CniConfigLoader(networkDir, pluginDirs);
    }

    /** The default network as the directory holds it now (cached while the directory is unchanged). */
    public synchronized CniConfigLoader.Lookup current() {
        if (closed) {
            return loader.findDefault(defaultNetworkName);
        }
        boolean changed = drainEvents();
        changed |= ensureWatched();
        if (key == null) {
            cached = null;
            return loader.findDefault(defaultNetworkName);
        }
        if (changed || cached == null || cached.network().isEmpty()) {
            cached = loader.findDefault(defaultNetworkName);
        }
        return cached;
    }

    /** Forgets the cached lookup, so the next {@link #current()} reads the directory again. */
    public synchronized void invalidate() {
        cached = null;
    }

    /** Stops watching; later {@link #current()} calls read the directory every time. */
    @Override
    public synchronized void close() {
        closed = true;
        cached = null;
        key = null;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.debug("Closing the watch of {}: {}", networkDir, e.getMessage());
            }
            watchService = null;
        }
    }

    /** Whether any event arrived since the last call. */
    private boolean drainEvents() {
        if (watchService == null) {
            return false;
        }
        boolean any = false;
        WatchKey k;
        while ((k = watchService.poll()) != null) {
            k.pollEvents();
            any = true;
            if (!k.reset() && k == key) {
                key = null;
            }
        }
        return any;
    }

    /** Makes sure the directory at {@link #networkDir} is the one watched; true when the watch was (re)placed. */
    private boolean ensureWatched() {
        Object dirKey;
        try {
            BasicFileAttributes attrs = Files.readAttributes(networkDir, BasicFileAttributes.class);
            if (!attrs.isDirectory()) {
                return dropWatch();
            }
            dirKey = attrs.fileKey();
        } catch (NoSuchFileException e) {
            return dropWatch();
        } catch (IOException e) {
            log.debug("Cannot read {}: {}", networkDir, e.getMessage());
            return dropWatch();
        }
        if (key != null && key.isValid() && Objects.equals(dirKey, watchedDirKey)) {
            return false;
        }
        if (!startService()) {
            return dropWatch();
        }
        if (key != null) {
            key.cancel();
            key = null;
        }
        try {
            key = networkDir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
            watchedDirKey = dirKey;
            return true;
        } catch (IOException e) {
            log.warn("Cannot watch CNI configuration directory {}: {}", networkDir, e.getMessage());
            return dropWatch();
        }
    }

    private boolean startService() {
        if (watchService != null) {
            return true;
        }
        if (watchUnavailable) {
            return false;
        }
        try {
            watchService = FileSystems.getDefault().newWatchService();
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            watchUnavailable = true;
            log.warn("Cannot watch CNI configuration directory {}, reading it on every lookup: {}", networkDir,
                    e.getMessage());
            return false;
        }
    }

    private boolean dropWatch() {
        boolean had = key != null;
        if (key != null) {
            key.cancel();
            key = null;
        }
        watchedDirKey = null;
        return had;
    }
}
