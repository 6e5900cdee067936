package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Namespace system calls: {@code unshare(2)}, {@code setns(2)} and {@code sethostname(2)}.
 *
 * <p>Namespaces belong to the calling kernel task, which for a Java platform thread is that thread alone and
 * for a virtual thread is whatever carrier runs it at the moment: call these only on a platform thread
 * dedicated to the purpose (see {@link NamespacePinner}). A new mount or user namespace cannot be entered
 * or created by one thread of a multithreaded process; network, IPC and UTS namespaces can.
 *
 * <p>Every call captures {@code errno}; a failure throws a {@link SyscallException}.
 */
public final class NamespaceCalls {

    public static final int CLONE_NEWNS = 0x00020000;
    public static final int CLONE_NEWUTS = 0x04000000;
    public static final int CLONE_NEWIPC = 0x08000000;
    public static final int CLONE_NEWUSER = 0x10000000;
    public static final int CLONE_NEWPID = 0x20000000;
    public static final int CLONE_NEWNET = 0x40000000;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static final MethodHandle UNSHARE = call("unshare", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle SETNS = call("setns", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle SETHOSTNAME = call("sethostname",
            FunctionDescriptor.of(INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private NamespaceCalls() {}

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    /** {@code unshare(2)}: moves the calling thread into new namespaces of the {@code CLONE_NEW*} kinds in {@code flags}. */
    public static void unshare(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("unshare", (int) UNSHARE.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code setns(2)}: moves the calling thread into the namespace {@code fd} refers to; {@code nstype} is
     * the {@code CLONE_NEW*} kind it must be, or 0 for any.
     */
    public static void setns(int fd, int nstype) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("setns", (int) SETNS.invokeExact(state, fd, nstype), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sethostname(2)} in the calling thread's UTS namespace. */
    public static void sethostname(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment buf = bytes.length == 0 ? arena.allocate(1) : arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            Libc.check("sethostname " + name, (int) SETHOSTNAME.invokeExact(state, buf, (long) bytes.length), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Opens a namespace file (such as {@code /proc/thread-self/ns/net} or a pinned one) for {@link #setns}. */
    public static int open(String path) {
        return FileCalls.openat(FileCalls.AT_FDCWD, path, FileCalls.O_RDONLY | FileCalls.O_CLOEXEC, 0);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
