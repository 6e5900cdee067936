package io.crio.daemon.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class MillisTest {

    @Test
    void formatsNanosecondsAsMillisecondsWithTwoDecimalsRoundedHalfUp() {
        assertEquals("0.00", Millis.of(0));
        assertEquals("0.00", Millis.of(4_999));
        assertEquals("0.01", Millis.of(5_000));
        assertEquals("0.05", Millis.of(50_000));
        assertEquals("1.50", Millis.of(1_500_000));
        assertEquals("12.34", Millis.of(12_344_999));
        assertEquals("100.00", Millis.of(99_999_999));
        assertEquals("0.00", Millis.of(-5), "a clock step backwards is shown as no time");
        for (long n = 0; n < 3_000_000_000L; n += 7_777_777) {
            assertEquals(String.format(Locale.ROOT, "%.2f", Math.round(n / 10_000.0) / 100.0), Millis.of(n));
        }
    }
}
