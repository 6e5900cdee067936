package io.crio.daemon.config;

/**
 * Durations written the way Go's {@code time.ParseDuration} reads them, as CRI-O's configuration does:
 * an optional sign, then one or more decimal numbers (with an optional fraction), each followed by a
 * unit ({@code ns}, {@code us}/{@code µs}, {@code ms}, {@code s}, {@code m}, {@code h}), such as
 * {@code "300ms"}, {@code "1m30s"} or {@code "1.5h"}; a bare {@code "0"} is also accepted.
 */
public final class Durations {

    private Durations() {}

    /** Whether {@code text} is a duration in Go syntax. */
    static boolean isValid(String text) {
        try {
            parseNanos(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether {@code text} is acceptable for an option CRI-O holds as a Go {@code time.Duration}: Go syntax,
     * or a plain integer, which CRI-O's TOML decoder takes as nanoseconds.
     */
    static boolean isValidTomlDuration(String text) {
        return isValid(text) || isInteger(text);
    }

    /**
     * The length of a duration option in nanoseconds: Go syntax, or a plain integer of nanoseconds.
     *
     * @throws IllegalArgumentException when the text is neither
     */
    public static long tomlDurationNanos(String text) {
        if (isInteger(text)) {
            return Long.parseLong(text);
        }
        return parseNanos(text);
    }

    private static boolean isInteger(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        int start = text.charAt(0) == '-' || text.charAt(0) == '+' ? 1 : 0;
        if (start == text.length()) {
            return false;
        }
        for (int i = start; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        try {
            Long.parseLong(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The length of a Go-syntax duration in nanoseconds.
     *
     * @throws IllegalArgumentException when the text is not a Go duration or does not fit in 64 bits
     */
    static long parseNanos(String text) {
        if (text == null || text.isEmpty()) {
            throw invalid(text);
        }
        int i = 0;
        boolean negative = false;
        char first = text.charAt(0);
        if (first == '-' || first == '+') {
            negative = first == '-';
            i++;
        }
        if (text.substring(i).equals("0")) {
            return 0;
        }
        if (i == text.length()) {
            throw invalid(text);
        }
        // Sum in BigDecimal to keep fractions exact and detect overflow.
        java.math.BigDecimal total = java.math.BigDecimal.ZERO;
        while (i < text.length()) {
            int numStart = i;
            while (i < text.length() && Character.isDigit(text.charAt(i)) && text.charAt(i) < 128) {
                i++;
            }
            int intEnd = i;
            int fracEnd = i;
            if (i < text.length() && text.charAt(i) == '.') {
                i++;
                while (i < text.length() && Character.isDigit(text.charAt(i)) && text.charAt(i) < 128) {
                    i++;
                }
                fracEnd = i;
            }
            boolean hasDigits = intEnd > numStart || fracEnd > intEnd + 1;
            if (!hasDigits) {
                throw invalid(text);
            }
            int unitStart = i;
            while (i < text.length() && text.charAt(i) != '.' && !(text.charAt(i) >= '0' && text.charAt(i) <= '9')) {
                i++;
            }
            long unitNanos = unitNanos(text.substring(unitStart, i), text);
            String number = text.substring(numStart, fracEnd);
            if (number.endsWith(".")) {
                number = number + "0";
            }
            if (number.startsWith(".")) {
                number = "0" + number;
            }
            total = total.add(new java.math.BigDecimal(number).multiply(java.math.BigDecimal.valueOf(unitNanos)));
        }
        java.math.BigDecimal limit = negative
                ? java.math.BigDecimal.valueOf(Long.MIN_VALUE).negate()
                : java.math.BigDecimal.valueOf(Long.MAX_VALUE);
        if (total.compareTo(limit) > 0) {
            throw invalid(text);
        }
        // Go truncates fractional nanoseconds.
        long nanos = total.setScale(0, java.math.RoundingMode.DOWN).longValue();
        return negative ? -nanos : nanos;
    }

    private static long unitNanos(String unit, String text) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "\u00b5s", "\u03bcs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw invalid(text);
        };
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid duration \"" + text
                + "\": expected a number with a unit (ns, us, ms, s, m, h), e.g. \"10s\" or \"1m30s\"");
    }
}
