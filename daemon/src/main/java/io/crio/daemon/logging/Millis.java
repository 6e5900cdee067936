package io.crio.daemon.logging;

/**
 * Durations in log lines: nanoseconds as milliseconds with two decimals ("12.34"). Written by hand rather
 * than with {@code String.format}, whose format-string parsing costs tens of microseconds per value on a
 * cold request path that logs a dozen of them.
 */
public final class Millis {

    private Millis() {}

    public static String of(long nanos) {
        long hundredths = Math.round(Math.max(0, nanos) / 10_000.0);
        long fraction = hundredths % 100;
        return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
    }
}
