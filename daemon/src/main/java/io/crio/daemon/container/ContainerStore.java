package io.crio.daemon.container;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.daemon.server.CriException;
import io.crio.storage.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The containers: in memory by ID, each persisted as one JSON file replaced atomically on every change. */
public final class ContainerStore {

    private static final Logger log = LoggerFactory.getLogger(ContainerStore.class);
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One container in memory, with its own lock. */
    public static final class Entry {
        private final ReentrantLock lock = new ReentrantLock();
        private volatile ContainerState state;

        Entry(ContainerState state) {
            this.state = state;
        }

        public ContainerState state() {
            return state;
        }

        public ReentrantLock lock() {
            return lock;
        }
    }

    private final Path dir;
    private final ConcurrentHashMap<String, Entry> byId = new ConcurrentHashMap<>();

    public ContainerStore(Path dir) {
        this.dir = dir;
    }

    public void load() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                try {
                    ContainerState s = JSON.readValue(f.toFile(), ContainerState.class);
                    if (s.pid() == 0 && !ContainerState.EXITED.equals(s.status())) {
                        // written during its create, before the runtime reported the pid: the pidfile has it
                        s = s.withPid(ContainerRecovery.readPid(Path.of(s.bundle(), "pidfile")));
                    }
                    byId.put(s.id(), new Entry(s));
                } catch (IOException e) {
                    log.warn("Skipping unreadable container state {}: {}", f, e.getMessage());
                }
            }
        }
    }

    /** Records a new container; the file is flushed to disk before this returns. */
    public Entry add(ContainerState s) throws IOException {
        write(s, true);
        Entry e = new Entry(s);
        byId.put(s.id(), e);
        return e;
    }

    /**
     * Writes a new container's state file (its pid still 0) and flushes it to disk without recording the
     * container here: a create does this while the runtime creates the container, then
     * {@link #register}s it with the pid the runtime reported.
     */
    public void persist(ContainerState s) throws IOException {
        if (s.pid() != 0) {
            throw new IllegalArgumentException("a state persisted before the runtime reported has no pid");
        }
        write(s, true);
    }

    /**
     * Records a container whose state file {@link #persist} wrote; {@code s} differs from it in the pid
     * only, which is not written again: the next change writes it, and {@link #load} reads it from the
     * runtime's pidfile in the bundle until then.
     */
    public Entry register(ContainerState s) {
        Entry e = new Entry(s);
        byId.put(s.id(), e);
        return e;
    }

    /** Removes the state file of a container that is not recorded here (a create that failed). */
    public void discard(String id) throws IOException {
        if (byId.containsKey(id)) {
            throw new IllegalStateException("container " + id + " is recorded; delete it instead");
        }
        Files.deleteIfExists(dir.resolve(id + ".json"));
    }

    public ContainerState update(Entry e, UnaryOperator<ContainerState> change) {
        e.lock.lock();
        try {
            ContainerState next = change.apply(e.state);
            write(next, false);
            e.state = next;
            return next;
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot save state of container " + e.state.id() + ": " + ex.getMessage(), ex);
        } finally {
            e.lock.unlock();
        }
    }

    /**
     * Writes {@code next}, the state the entry will have once the work it describes succeeded, without
     * recording it: a start writes the started state while the runtime starts the container, then
     * {@link #record}s it. The caller holds the entry's lock from before this call until then.
     */
    public void save(ContainerState next) throws IOException {
        write(next, false);
    }

    /** Records {@code next}, which {@link #save} wrote, as the entry's state. */
    public void record(Entry e, ContainerState next) {
        if (!e.lock.isHeldByCurrentThread() || !next.id().equals(e.state.id())) {
            throw new IllegalStateException("recording a saved state needs the lock of container " + next.id());
        }
        e.state = next;
    }

    public void delete(Entry e) throws IOException {
        Files.deleteIfExists(dir.resolve(e.state.id() + ".json"));
        byId.remove(e.state.id(), e);
    }

    public Collection<Entry> all() {
        return byId.values();
    }

    public Optional<Entry> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** By full ID or unique prefix; INVALID_ARGUMENT when a prefix is ambiguous. */
    public Optional<Entry> find(String idOrPrefix) {
        if (idOrPrefix.isEmpty()) {
            return Optional.empty();
        }
        Entry exact = byId.get(idOrPrefix);
        if (exact != null) {
            return Optional.of(exact);
        }
        Entry match = null;
        for (Entry e : byId.values()) {
            if (e.state.id().startsWith(idOrPrefix)) {
                if (match != null) {
                    throw CriException.invalidArgument("container ID prefix \"" + idOrPrefix + "\" is ambiguous");
                }
                match = e;
            }
        }
        return Optional.ofNullable(match);
    }

    /**
     * Replaces the container's file atomically. Only a new container's record is flushed: later changes
     * (started, exited, resources) survive a daemon crash as they are, and after a power loss the
     * containers are gone anyway and their state is taken from the runtime and the exit files.
     */
    private void write(ContainerState s, boolean flush) throws IOException {
        if (!Files.isDirectory(dir)) {
            AtomicFiles.createDirectory(dir, AtomicFiles.PRIVATE_DIR);
        }
        Path file = dir.resolve(s.id() + ".json");
        if (flush) {
            AtomicFiles.write(file, JSON.writeValueAsBytes(s));
        } else {
            AtomicFiles.replace(file, JSON.writeValueAsBytes(s), AtomicFiles.PRIVATE_FILE);
        }
    }
}
