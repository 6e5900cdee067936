package io.crio.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import io.crio.sys.Sha256;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Passes bytes through while hashing and counting them; {@link #verify} checks the digest (and size, when
 * known) once the stream is consumed. {@code progress} is increased as bytes arrive.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final String algorithm;
    private final Sha256 sha256;
    private final MessageDigest other;
    private final AtomicLong progress;
    private long count;

    /** Hashes with {@code algorithm} of {@code expected}: sha256 natively (libcrypto) when possible. */
    VerifyingInputStream(InputStream in, Digest expected, AtomicLong progress) {
        super(in);
        this.algorithm = expected.algorithm();
        this.sha256 = algorithm.equals("sha256") ? Sha256.create() : null;
        this.other = sha256 == null ? expected.newDigester() : null;
        this.progress = progress;
    }

    private void hash(byte[] buf, int off, int len) {
        if (sha256 != null) {
            sha256.update(buf, off, len);
        } else {
            other.update(buf, off, len);
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            hash(new byte[] {(byte) b}, 0, 1);
            count++;
            if (progress != null) {
                progress.incrementAndGet();
            }
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            hash(buf, off, n);
            count += n;
            if (progress != null) {
                progress.addAndGet(n);
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads what is left, so the digest covers the whole stream. */
    void drain() throws IOException {
        byte[] buf = new byte[65536];
        while (read(buf, 0, buf.length) >= 0) {
            // consume
        }
    }

    long count() {
        return count;
    }

    /** The digest of what was read; call once, after the stream is consumed. */
    Digest digest() {
        return new Digest(algorithm, HexFormat.of().formatHex(sha256 != null ? sha256.digest() : other.digest()));
    }

    /** Frees the native hash state (idempotent; {@link #digest} frees it too). */
    void release() {
        if (sha256 != null) {
            sha256.close();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            release();
        }
    }
}
