package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {

    @Test
    void matchesTheJdkOnEveryChunking() throws Exception {
        assertTrue(Sha256.isNative(), "libcrypto.so.3 should be present on Debian 12 (libssl3)");
        byte[] data = new byte[1 << 20];
        new Random(42).nextBytes(data);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        for (int chunk : new int[] {1, 7, 4096, 65536, data.length}) {
            Sha256 h = Sha256.create();
            for (int off = 0; off < data.length; off += chunk) {
                h.update(data, off, Math.min(chunk, data.length - off));
            }
            assertArrayEquals(expected, h.digest(), "chunk " + chunk);
        }
        Sha256 empty = Sha256.create();
        empty.update(data, 5, 0);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(new byte[0]), empty.digest());
    }
}
