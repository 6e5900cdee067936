package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock files exclude other processes the way containers/storage's fcntl locks do. The other process is a
 * python one using {@code fcntl.lockf}, which issues the same whole-file {@code F_SETLK} requests.
 */
class LockFileTest {

    @TempDir
    Path tmp;

    /** Exit 0 when python gets the lock without waiting, 1 when it is held elsewhere. */
    private int tryLockFromAnotherProcess(Path file, boolean exclusive) throws Exception {
        String script = "import fcntl,sys\n"
                + "f=open(sys.argv[1],'r+')\n"
                + "try:\n"
                + "  fcntl.lockf(f, (fcntl.LOCK_EX if sys.argv[2]=='x' else fcntl.LOCK_SH)|fcntl.LOCK_NB)\n"
                + "except OSError:\n"
                + "  sys.exit(1)\n";
        Process p = new ProcessBuilder("python3", "-c", script, file.toString(), exclusive ? "x" : "s")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    @Test
    @SuppressWarnings("try")
    void exclusiveAndSharedHoldsExcludeOtherProcesses() throws Exception {
        Path file = tmp.resolve("layers.lock");
        LockFile lock = LockFile.of(file);
        assertSame(lock, LockFile.of(tmp.resolve(".").resolve("layers.lock")), "one lock object per file");
        assertTrue(Files.exists(file));
        assertEquals(0, tryLockFromAnotherProcess(file, true));
        try (LockFile.Hold h = lock.exclusive()) {
            assertEquals(1, tryLockFromAnotherProcess(file, true));
            assertEquals(1, tryLockFromAnotherProcess(file, false));
            try (LockFile.Hold nested = lock.shared()) {
                assertFalse(nested.isExclusive());
            }
            assertEquals(1, tryLockFromAnotherProcess(file, false), "a nested shared hold does not downgrade");
        }
        assertEquals(0, tryLockFromAnotherProcess(file, true));
        try (LockFile.Hold h = lock.shared(); LockFile.Hold h2 = lock.shared()) {
            assertEquals(0, tryLockFromAnotherProcess(file, false), "readers share");
            assertEquals(1, tryLockFromAnotherProcess(file, true));
            h.close();
            assertEquals(1, tryLockFromAnotherProcess(file, true), "still held by the second holder");
        }
        assertEquals(0, tryLockFromAnotherProcess(file, true));
    }

    @Test
    void tokensHaveContainersStorageLayout() throws Exception {
        LockFile lock = LockFile.of(tmp.resolve("images.lock"));
        byte[] last;
        try (LockFile.Hold h = lock.exclusive()) {
            assertEquals(0, h.token().length, "a new lock file has no token yet");
            byte[] t1 = h.recordWrite();
            assertEquals(LockFile.TOKEN_SIZE, t1.length);
            assertArrayEquals(t1, h.token());
            ByteBuffer b = ByteBuffer.wrap(t1).order(ByteOrder.LITTLE_ENDIAN);
            long nanos = b.getLong();
            b.getLong();
            assertEquals(ProcessHandle.current().pid(), b.getInt());
            assertTrue(Math.abs(System.currentTimeMillis() - nanos / 1_000_000) < 60_000);
            last = h.recordWrite();
            assertNotEquals(new String(t1, java.nio.charset.StandardCharsets.ISO_8859_1),
                    new String(last, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        // (read only after releasing: closing another descriptor of the file would drop this process's lock)
        assertArrayEquals(last, Files.readAllBytes(tmp.resolve("images.lock")));
        try (LockFile.Hold h = lock.shared()) {
            assertThrows(IllegalStateException.class, h::recordWrite);
        }
    }

    @Test
    void exclusiveWaitsForSharedHoldersOfThisProcess() throws Exception {
        LockFile lock = LockFile.of(tmp.resolve("c.lock"));
        LockFile.Hold shared = lock.shared();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (LockFile.Hold h = lock.exclusive()) {
                h.recordWrite();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.join(300);
        assertTrue(writer.isAlive(), "the writer waits for the reader");
        shared.close();
        writer.join(10_000);
        assertFalse(writer.isAlive());
        assertEquals(LockFile.TOKEN_SIZE, Files.size(tmp.resolve("c.lock")));
    }
}
