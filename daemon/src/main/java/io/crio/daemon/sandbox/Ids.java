package io.crio.daemon.sandbox;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** IDs of pods and containers: 64 lowercase hex digits, as CRI-O and containers/storage use. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FULL = Pattern.compile("[0-9a-f]{64}");

    private Ids() {}

    public static String newId() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static boolean isFull(String id) {
        return FULL.matcher(id).matches();
    }
}
