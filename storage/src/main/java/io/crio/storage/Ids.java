package io.crio.storage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Validation of the identifiers the store turns into paths, and the sha256 helpers it needs. */
final class Ids {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA256_DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private Ids() {}

    /** True for a 64-character lower-case hex string: the only form layer and image IDs take in this store. */
    static boolean isHexId(String s) {
        return s != null && HEX64.matcher(s).matches();
    }

    static String requireHexId(String what, String id) {
        if (!isHexId(id)) {
            throw new IllegalArgumentException(what + " must be 64 lower-case hex characters, got " + quote(id));
        }
        return id;
    }

    static boolean isSha256Digest(String s) {
        return s != null && SHA256_DIGEST.matcher(s).matches();
    }

    static String requireSha256Digest(String what, String digest) {
        if (!isSha256Digest(digest)) {
            throw new IllegalArgumentException(what + " must be sha256:<64 hex>, got " + quote(digest));
        }
        return digest;
    }

    static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    static String sha256Hex(String s) {
        return sha256Hex(s.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256Digest(byte[] data) {
        return "sha256:" + sha256Hex(data);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "\"";
    }
}
