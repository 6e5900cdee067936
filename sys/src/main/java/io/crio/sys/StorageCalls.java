package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** System calls the layer store needs that the JDK does not offer. */
public final class StorageCalls {

    private static final Linker LINKER = Linker.nativeLinker();

    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle OPEN = call("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SYNCFS = call("syncfs",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private StorageCalls() {}

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    /**
     * Flushes every dirty page and inode of the filesystem holding {@code dir} to disk ({@code syncfs(2)}),
     * so data written there by any process survives a crash from here on.
     *
     * @throws SyscallException when {@code dir} cannot be opened or the flush fails
     */
    public static void syncfs(Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment p = arena.allocateFrom(dir.toString());
            int fd = (int) Libc.check("open " + dir, (int) OPEN.invokeExact(state, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC), state);
            try {
                Libc.check("syncfs " + dir, (int) SYNCFS.invokeExact(state, fd), state);
            } finally {
                Libc.close(state, fd);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("syncfs " + dir, t);
        }
    }
}
