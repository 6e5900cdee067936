package io.crio.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An inter-process lock on one of containers/storage's {@code *.lock} files, compatible with its lockfile package:
 * a whole-file POSIX record lock ({@code fcntl(F_SETLKW)}, read lock for readers, write lock for writers; Java's
 * {@link FileChannel#lock(long, long, boolean)} with {@code Long.MAX_VALUE} as the length is exactly that call on
 * Linux), and a 64-byte "last writer" token at offset 0 that a writer replaces after each change so that every
 * process can tell whether someone else changed the data since it last loaded it.
 *
 * <p>POSIX record locks belong to the process, not to a thread or a descriptor, and closing any descriptor of
 * the file drops them. So there is one {@code LockFile} per path in the JVM (see {@link #of}), it is the only
 * code that opens the file, and it reference-counts its holders: the first hold takes the kernel lock, the last
 * release closes the descriptor. Holds do not exclude threads of this process from each other; callers pair
 * them with an in-process lock. A shared hold taken while the process already holds the file exclusively
 * just joins it; an exclusive hold waits until no shared holds are left (this process never upgrades).
 */
final class LockFile {

    static final int TOKEN_SIZE = 64;

    private static final ConcurrentHashMap<Path, LockFile> REGISTRY = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong COUNTER = new AtomicLong();

    private final Path path;
    private final ReentrantLock mu = new ReentrantLock();
    private final Condition released = mu.newCondition();
    private FileChannel channel;
    private FileLock lock;
    private boolean exclusive;
    private int holders;

    private LockFile(Path path) {
        this.path = path;
    }

    /** The JVM's single lock object for {@code path}; creates the file (mode 0644) and its directory if missing. */
    static LockFile of(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        AtomicFiles.createDirectory(dir, AtomicFiles.PRIVATE_DIR);
        Path key = dir.toRealPath().resolve(path.getFileName());
        LockFile lock = REGISTRY.get(key);
        if (lock != null) {
            return lock;
        }
        // first use in this JVM, so no hold can be lost by opening and closing the file here
        try {
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        } catch (FileAlreadyExistsException e) {
            // fine
        }
        return REGISTRY.computeIfAbsent(key, LockFile::new);
    }

    Path path() {
        return path;
    }

    /** Takes the lock for reading (shared with other readers, in this and other processes). */
    Hold shared() throws IOException {
        return acquire(false);
    }

    /** Takes the lock for writing: no other process holds it while this hold lasts. */
    Hold exclusive() throws IOException {
        return acquire(true);
    }

    private Hold acquire(boolean wantExclusive) throws IOException {
        mu.lock();
        try {
            if (wantExclusive) {
                while (holders > 0 && !exclusive) {
                    released.awaitUninterruptibly();
                }
            }
            if (holders == 0) {
                open(wantExclusive);
            }
            holders++;
            return new Hold(wantExclusive);
        } finally {
            mu.unlock();
        }
    }

    private void open(boolean wantExclusive) throws IOException {
        FileChannel ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            lock = ch.lock(0, Long.MAX_VALUE, !wantExclusive);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        exclusive = wantExclusive;
    }

    private void release() {
        mu.lock();
        try {
            if (--holders == 0) {
                FileChannel ch = channel;
                channel = null;
                lock = null;
                exclusive = false;
                try {
                    ch.close(); // releases the record lock
                } catch (IOException e) {
                    // the descriptor is gone either way, and with it the lock
                }
                released.signalAll();
            }
        } finally {
            mu.unlock();
        }
    }

    /** One holder's share of the lock; {@link #close()} releases it (idempotent). */
    final class Hold implements AutoCloseable {
        private final boolean exclusiveHold;
        private boolean closed;

        private Hold(boolean exclusiveHold) {
            this.exclusiveHold = exclusiveHold;
        }

        boolean isExclusive() {
            return exclusiveHold;
        }

        /** The current last-writer token (fewer than 64 bytes when nobody has written one yet). */
        byte[] token() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(TOKEN_SIZE);
            FileChannel ch = openChannel();
            while (buf.hasRemaining()) {
                if (ch.read(buf, buf.position()) < 0) {
                    break;
                }
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        }

        /** Records that this process just changed the data the lock protects; returns the new token. */
        byte[] recordWrite() throws IOException {
            if (!exclusiveHold) {
                throw new IllegalStateException("recording a write to " + path + " needs the lock for writing");
            }
            byte[] token = newToken();
            ByteBuffer buf = ByteBuffer.wrap(token);
            FileChannel ch = openChannel();
            while (buf.hasRemaining()) {
                ch.write(buf, buf.position());
            }
            return token;
        }

        private FileChannel openChannel() {
            mu.lock();
            try {
                if (closed || channel == null) {
                    throw new IllegalStateException("lock " + path + " is not held");
                }
                return channel;
            } finally {
                mu.unlock();
            }
        }

        @Override
        public void close() {
            mu.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
            } finally {
                mu.unlock();
            }
            release();
        }
    }

    /**
     * A token in containers/storage's layout: nanosecond wall-clock time, a per-process counter and the PID
     * (little-endian, 8 + 8 + 4 bytes), padded to 64 bytes with random bytes.
     */
    static byte[] newToken() {
        ByteBuffer b = ByteBuffer.allocate(TOKEN_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        java.time.Instant now = java.time.Instant.now();
        b.putLong(now.getEpochSecond() * 1_000_000_000L + now.getNano());
        b.putLong(COUNTER.incrementAndGet());
        b.putInt((int) ProcessHandle.current().pid());
        byte[] rnd = new byte[TOKEN_SIZE - 20];
        RANDOM.nextBytes(rnd);
        b.put(rnd);
        return b.array();
    }
}
