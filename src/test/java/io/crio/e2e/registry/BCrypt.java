package io.crio.e2e.registry;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * bcrypt password hashes ({@code $2b$}) for the registry's htpasswd file: Debian's docker-registry only
 * accepts bcrypt entries, and neither the JDK nor the test classpath has bcrypt, nor can we count on
 * {@code htpasswd} (apache2-utils) being installed.
 *
 * <p>Written from the published algorithm (Provos and Mazières, "A Future-Adaptable Password Scheme",
 * 1999: EksBlowfish). Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi's
 * fractional part, so they are computed here instead of being spelled out as a table.
 */
final class BCrypt {

    private static final String ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int[] PI_WORDS = piWords(18 + 4 * 256);
    private static final byte[] MAGIC = "OrpheanBeholderScryDoubt".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int[] p = Arrays.copyOfRange(PI_WORDS, 0, 18);
    private final int[] s = Arrays.copyOfRange(PI_WORDS, 18, PI_WORDS.length);

    private BCrypt() {
    }

    /** A {@code $2b$} hash of {@code password} with a random salt; cost 4 keeps registry logins fast. */
    static String hash(String password, int cost) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return hash(password, salt, cost);
    }

    /** A {@code $2b$} hash with the given 16-byte salt and cost (4..31). */
    static String hash(String password, byte[] salt, int cost) {
        if (salt.length != 16 || cost < 4 || cost > 31) {
            throw new IllegalArgumentException("bcrypt needs a 16-byte salt and a cost in 4..31");
        }
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(pw, Math.min(pw.length + 1, 72)); // NUL-terminated, at most 72 bytes
        BCrypt state = new BCrypt();
        state.expand(key, salt);
        for (long i = 0, rounds = 1L << cost; i < rounds; i++) {
            state.expand(key, null);
            state.expand(salt, null);
        }
        int[] text = new int[6];
        for (int i = 0; i < 6; i++) {
            text[i] = word(MAGIC, i * 4);
        }
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < 6; j += 2) {
                state.encipher(text, j);
            }
        }
        byte[] out = new byte[24];
        for (int i = 0; i < 6; i++) {
            out[i * 4] = (byte) (text[i] >>> 24);
            out[i * 4 + 1] = (byte) (text[i] >>> 16);
            out[i * 4 + 2] = (byte) (text[i] >>> 8);
            out[i * 4 + 3] = (byte) text[i];
        }
        return "$2b$" + (cost < 10 ? "0" : "") + cost + "$" + encode(salt, 16) + encode(out, 23);
    }

    /** Decodes the 22-character salt of a bcrypt hash into its 16 bytes (for checking known vectors). */
    static byte[] decodeSalt(String salt22) {
        byte[] out = new byte[16];
        int bits = 0;
        int acc = 0;
        int n = 0;
        for (int i = 0; i < salt22.length() && n < 16; i++) {
            int v = ALPHABET.indexOf(salt22.charAt(i));
            if (v < 0) {
                throw new IllegalArgumentException("not a bcrypt salt: " + salt22);
            }
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (byte) (acc >>> bits);
            }
        }
        return out;
    }

    /** Blowfish key schedule; with {@code salt} it is bcrypt's salted variant. */
    private void expand(byte[] key, byte[] salt) {
        int[] off = {0};
        for (int i = 0; i < 18; i++) {
            p[i] ^= cyclicWord(key, off);
        }
        int[] lr = new int[2];
        int[] saltOff = {0};
        for (int i = 0; i < 18; i += 2) {
            mixSalt(lr, salt, saltOff);
            encipher(lr, 0);
            p[i] = lr[0];
            p[i + 1] = lr[1];
        }
        for (int i = 0; i < s.length; i += 2) {
            mixSalt(lr, salt, saltOff);
            encipher(lr, 0);
            s[i] = lr[0];
            s[i + 1] = lr[1];
        }
    }

    private static void mixSalt(int[] lr, byte[] salt, int[] off) {
        if (salt != null) {
            lr[0] ^= cyclicWord(salt, off);
            lr[1] ^= cyclicWord(salt, off);
        }
    }

    private void encipher(int[] lr, int at) {
        int l = lr[at];
        int r = lr[at + 1];
        l ^= p[0];
        for (int i = 1; i <= 16; i += 2) {
            r ^= f(l) ^ p[i];
            l ^= f(r) ^ p[i + 1];
        }
        lr[at] = r ^ p[17];
        lr[at + 1] = l;
    }

    private int f(int x) {
        return ((s[x >>> 24] + s[0x100 | ((x >>> 16) & 0xff)]) ^ s[0x200 | ((x >>> 8) & 0xff)]) + s[0x300 | (x & 0xff)];
    }

    private static int cyclicWord(byte[] data, int[] off) {
        int w = 0;
        for (int i = 0; i < 4; i++) {
            w = (w << 8) | (data[off[0]] & 0xff);
            off[0] = (off[0] + 1) % data.length;
        }
        return w;
    }

    private static int word(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** bcrypt's base64: its own alphabet, no padding. */
    private static String encode(byte[] data, int len) {
        StringBuilder sb = new StringBuilder();
        int acc = 0;
        int bits = 0;
        for (int i = 0; i < len; i++) {
            acc = (acc << 8) | (data[i] & 0xff);
            bits += 8;
            while (bits >= 6) {
                bits -= 6;
                sb.append(ALPHABET.charAt((acc >>> bits) & 0x3f));
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET.charAt((acc << (6 - bits)) & 0x3f));
        }
        return sb.toString();
    }

    /** The first {@code count} 32-bit words of pi's fractional part (Machin's formula, fixed point). */
    private static int[] piWords(int count) {
        int bits = count * 32 + 64;
        BigInteger one = BigInteger.ONE.shiftLeft(bits);
        BigInteger pi = arctanInverse(5, one).shiftLeft(4).subtract(arctanInverse(239, one).shiftLeft(2));
        BigInteger frac = pi.subtract(BigInteger.valueOf(3).shiftLeft(bits));
        int[] words = new int[count];
        BigInteger mask = BigInteger.valueOf(0xffffffffL);
        for (int i = 0; i < count; i++) {
            words[i] = frac.shiftRight(bits - 32 * (i + 1)).and(mask).intValue();
        }
        return words;
    }

    private static BigInteger arctanInverse(int x, BigInteger one) {
        BigInteger xx = BigInteger.valueOf((long) x * x);
        BigInteger power = one.divide(BigInteger.valueOf(x));
        BigInteger sum = power;
        for (int k = 1; power.signum() != 0; k++) {
            power = power.divide(xx);
            BigInteger term = power.divide(BigInteger.valueOf(2L * k + 1));
            sum = (k & 1) == 1 ? sum.subtract(term) : sum.add(term);
        }
        return sum;
    }
}
