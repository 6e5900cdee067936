package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class QuantityTest {

    @Test
    void parsesDecimalAndBinarySuffixes() {
        assertEquals(10_000_000L, Quantity.parse("10M"));
        assertEquals(64L * 1024 * 1024, Quantity.parse("64Mi"));
        assertEquals(1500L, Quantity.parse("1.5k"));
        assertEquals(1_000_000L, Quantity.parse("1e6"));
        assertEquals(1L, Quantity.parse("1m"));
        assertEquals(42L, Quantity.parse("42"));
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> Quantity.parse("ten"));
        assertThrows(IllegalArgumentException.class, () -> Quantity.parse("10 M"));
        assertThrows(IllegalArgumentException.class, () -> Quantity.parse("-1"));
        assertThrows(IllegalArgumentException.class, () -> Quantity.parse("100E"));
    }
}
