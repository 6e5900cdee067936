package io.crio.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConmonVersionTest {

    @Test
    void parsesTheVersionLine() {
        ConmonVersion v = ConmonVersion.parse("conmon version 2.1.6\ncommit: unknown\n").orElseThrow();
        assertEquals(new ConmonVersion(2, 1, 6), v);
        assertEquals("2.1.6", v.toString());
        assertTrue(v.isSupported());
    }

    @Test
    void rejectsUnrelatedOutputAndOldVersions() {
        assertTrue(ConmonVersion.parse("runc version 1.1.5").isEmpty());
        assertFalse(new ConmonVersion(1, 9, 9).isSupported());
        assertTrue(new ConmonVersion(2, 1, 10).compareTo(new ConmonVersion(2, 1, 9)) > 0);
    }
}
