package io.crio.daemon.sandbox;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.daemon.server.CriException;
import io.crio.storage.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod sandboxes: in memory by ID, each persisted as {@code <dir>/<id>.json} (replaced atomically on
 * every change), with the names they reserve. {@link #load} rebuilds everything from the directory.
 */
public final class SandboxStore {

    private static final Logger log = LoggerFactory.getLogger(SandboxStore.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path dir;
    private final NameRegistry names;
    private final ConcurrentHashMap<String, Sandbox> byId = new ConcurrentHashMap<>();

    public SandboxStore(Path dir, NameRegistry names) {
        this.dir = dir;
        this.names = names;
    }

    public NameRegistry names() {
        return names;
    }

    /** Reads every persisted sandbox; unreadable files are logged and skipped. */
    public List<Sandbox> load() throws IOException {
        List<Sandbox> loaded = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return loaded;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    SandboxRecord r = JSON.readValue(f.toFile(), SandboxRecord.class);
                    if (r.version() > SandboxRecord.VERSION) {
                        log.warn("Skipping sandbox state {}: written by a newer version ({})", f, r.version());
                        continue;
                    }
                    Sandbox sb = new Sandbox(r);
                    byId.put(r.id(), sb);
                    names.reserve(r.name(), r.id());
                    loaded.add(sb);
                } catch (IOException | IllegalArgumentException e) {
                    log.warn("Skipping unreadable sandbox state {}: {}", f, e.getMessage());
                }
            }
        }
        return loaded;
    }

    /** Persists a new sandbox and makes it visible. */
    public Sandbox add(SandboxRecord r) throws IOException {
        write(r);
        Sandbox sb = new Sandbox(r);
        byId.put(r.id(), sb);
        return sb;
    }

    /** Applies {@code change} to the sandbox's record, persisting it before it becomes visible. */
    public SandboxRecord update(Sandbox sb, UnaryOperator<SandboxRecord> change) {
        sb.lock().lock();
        try {
            SandboxRecord next = sb.apply(change);
            write(next);
            sb.set(next);
            return next;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save state of pod sandbox " + sb.id() + ": " + e.getMessage(), e);
        } finally {
            sb.lock().unlock();
        }
    }

    /** Forgets a sandbox: its file, its name, its entry. */
    public void delete(Sandbox sb) throws IOException {
        Files.deleteIfExists(file(sb.id()));
        byId.remove(sb.id(), sb);
        names.release(sb.name(), sb.id());
    }

    public Optional<Sandbox> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public Collection<Sandbox> all() {
        return byId.values();
    }

    /**
     * The sandbox whose ID is {@code idOrPrefix} or starts with it. Empty when none; INVALID_ARGUMENT when
     * the prefix names more than one.
     */
    public Optional<Sandbox> find(String idOrPrefix) {
        if (idOrPrefix.isEmpty()) {
            return Optional.empty();
        }
        Sandbox exact = byId.get(idOrPrefix);
        if (exact != null) {
            return Optional.of(exact);
        }
        Sandbox match = null;
        for (Sandbox sb : byId.values()) {
            if (sb.id().startsWith(idOrPrefix)) {
                if (match != null) {
                    throw CriException.invalidArgument("pod sandbox ID prefix \"" + idOrPrefix + "\" is ambiguous");
                }
                match = sb;
            }
        }
        return Optional.ofNullable(match);
    }

    private void write(SandboxRecord r) throws IOException {
        if (!Files.isDirectory(dir)) {
            AtomicFiles.createDirectory(dir, AtomicFiles.PRIVATE_DIR);
        }
        AtomicFiles.write(file(r.id()), JSON.writeValueAsBytes(r));
    }

    private Path file(String id) {
        return dir.resolve(id + ".json");
    }
}
