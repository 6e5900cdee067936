package io.crio.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Passes bytes through while hashing and counting them; {@link #verify} checks the digest (and size, when
 * known) once the stream is consumed. {@code progress} is increased as bytes arrive.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final MessageDigest digester;
    private final AtomicLong progress;
    private long count;

    VerifyingInputStream(InputStream in, MessageDigest digester, AtomicLong progress) {
        super(in);
        this.digester = digester;
        this.progress = progress;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            digester.update((byte) b);
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
            digester.update(buf, off, n);
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

    Digest digest(String algorithm) {
        return new Digest(algorithm, HexFormat.of().formatHex(digester.digest()));
    }
}
