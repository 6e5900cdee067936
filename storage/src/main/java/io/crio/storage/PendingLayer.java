package io.crio.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A layer being written: its directories exist and it is recorded in {@code layers.json} flagged incomplete,
 * so a crash before {@link #commit} leaves something the next {@link ContainersStore#open} removes.
 * Write the layer's files into {@link #diffDir()}, then {@link #commit} or {@link #abort}; {@link #close()}
 * aborts unless committed. Both are idempotent. While any layer is pending, this process holds the layer
 * store's lock for writing, as containers/storage does while it applies a layer, so other
 * containers/storage users wait instead of seeing (and deleting) the half-written layer.
 */
public final class PendingLayer implements AutoCloseable {

    private enum State { OPEN, COMMITTED, ABORTED }

    private final ContainersStore store;
    private final String id;
    private final String parent;
    private final Path diffDir;
    private final LockFile.Hold hold;
    private State state = State.OPEN;
    private LayerInfo committed;

    PendingLayer(ContainersStore store, String id, String parent, Path diffDir, LockFile.Hold hold) {
        this.store = store;
        this.id = id;
        this.parent = parent;
        this.diffDir = diffDir;
        this.hold = hold;
    }

    public String id() {
        return id;
    }

    /** The parent layer's ID, or null. */
    public String parent() {
        return parent;
    }

    /** Where the layer's files go ({@code <graphroot>/overlay/<id>/diff}). */
    public Path diffDir() {
        return diffDir;
    }

    /**
     * Marks the layer complete, recording its digests and sizes. The parent must have been committed first.
     * Calling it again after success returns the same result.
     *
     * @param diffDigest       {@code sha256:…} of the uncompressed layer tar (the diff ID)
     * @param diffSize         length of the uncompressed tar
     * @param compressedDigest digest of the fetched blob, or null when unknown
     * @param compressedSize   length of the fetched blob
     * @throws IllegalStateException when the layer was aborted, or its parent is not complete
     */
    public synchronized LayerInfo commit(String diffDigest, long diffSize, String compressedDigest, long compressedSize)
            throws IOException {
        switch (state) {
            case COMMITTED -> {
                return committed;
            }
            case ABORTED -> throw new IllegalStateException("layer " + id + " was aborted");
            case OPEN -> { }
        }
        committed = store.commitLayer(this, diffDigest, diffSize, compressedDigest, compressedSize);
        state = State.COMMITTED;
        hold.close();
        return committed;
    }

    /** Removes everything {@code beginLayer} created for this layer; nothing once committed. */
    public synchronized void abort() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ABORTED;
        try {
            store.abortLayer(this);
        } finally {
            hold.close();
        }
    }

    /** Aborts unless the layer was committed. */
    @Override
    public void close() {
        abort();
    }

    synchronized boolean isOpen() {
        return state == State.OPEN;
    }

    /** Called by the store when it closes: forget the layer without touching the disk (the next open cleans it). */
    synchronized void detach() {
        if (state == State.OPEN) {
            state = State.ABORTED;
            hold.close();
        }
    }

    LockFile.Hold hold() {
        return hold;
    }
}
