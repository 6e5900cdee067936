package io.crio.image;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one pull: logs its progress at a steady interval and, when a no-progress timeout is set and no
 * byte arrives for that long, cancels it by closing its open downloads.
 */
final class PullWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PullWatch.class);

    private final ImageReference name;
    private final long total;
    private final Duration interval;
    private final Duration stallTimeout;
    private final AtomicLong done = new AtomicLong();
    private final List<InputStream> open = new CopyOnWriteArrayList<>();
    private final List<Thread> readers = new CopyOnWriteArrayList<>();
    private final Instant start = Instant.now();
    private final Thread thread;
    private volatile String cancelReason;

    PullWatch(ImageReference name, long total, Duration interval, Duration stallTimeout) {
        this.name = name;
        this.total = total;
        this.interval = interval;
        this.stallTimeout = stallTimeout;
        this.thread = Thread.ofVirtual().name("pull-progress").start(this::watch);
    }

    AtomicLong done() {
        return done;
    }

    /** Registers a download so that a stalled pull can be cancelled; returns it. */
    /**
     * Registers the current thread's download so that a stalled pull can be cancelled; returns it. Between
     * {@code track} and {@code untrack} the thread may be interrupted, so it must only download and unpack
     * there (an interrupt closes any NIO channel it is using).
     */
    synchronized InputStream track(InputStream in) {
        open.add(in);
        readers.add(Thread.currentThread());
        return in;
    }

    /** Ends the download's registration and clears an interrupt it may have received. */
    void untrack(InputStream in) {
        synchronized (this) {
            open.remove(in);
            readers.remove(Thread.currentThread());
        }
        Thread.interrupted();
    }

    /** Whether the pull was cancelled (stalled, or abandoned by every client), and why. */
    boolean cancelled() {
        return cancelReason != null;
    }

    String cancelReason() {
        return cancelReason;
    }

    /** Cancels the pull: blocked downloads wake up and fail, new ones are refused. */
    void cancel(String reason) {
        if (cancelReason != null) {
            return;
        }
        cancelReason = reason;
        // a blocked read wakes up when its thread is interrupted; closing drops the connection
        synchronized (this) {
            readers.forEach(Thread::interrupt);
        }
        for (InputStream in : open) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing is all that is wanted
            }
        }
    }

    Duration elapsed() {
        return Duration.between(start, Instant.now());
    }

    private void watch() {
        long lastBytes = -1;
        Instant lastChange = Instant.now();
        long tick = Math.max(100, Math.min(interval.toMillis(),
                stallTimeout.isZero() ? Long.MAX_VALUE : stallTimeout.toMillis() / 10));
        Instant nextReport = Instant.now().plus(interval);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(tick);
                long now = done.get();
                if (now != lastBytes || readers.isEmpty()) {
                    // only a pull that is downloading can stall; one waiting for a slot or for another
                    // pull's layer is not counted as stalled
                    lastBytes = now;
                    lastChange = Instant.now();
                }
                if (!Instant.now().isBefore(nextReport)) {
                    double secs = Math.max(0.001, elapsed().toMillis() / 1000.0);
                    log.info("Pulling {}: {} of {} bytes ({} MB/s)", name, now, total, String.format("%.1f", now / secs / 1e6));
                    nextReport = Instant.now().plus(interval);
                }
                if (!stallTimeout.isZero() && Duration.between(lastChange, Instant.now()).compareTo(stallTimeout) >= 0) {
                    log.warn("Pulling {} made no progress for {} s; cancelling it", name, stallTimeout.toSeconds());
                    cancel("made no progress for " + stallTimeout.toSeconds() + " s (pull_progress_timeout)");
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the pull finished
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
