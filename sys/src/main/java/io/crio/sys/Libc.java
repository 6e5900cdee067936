package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcalls into the C library through the FFM API. Every call that can fail captures {@code errno} and
 * turns a failure into a {@link SyscallException} naming the call.
 */
public final class Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    public static final int AF_UNIX = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVTIMEO = 20;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;

    private static final MethodHandle SOCKET = errnoCall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = errnoCall("sendto",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = errnoCall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = errnoCall("recv",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errnoCall("setsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = errnoCall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)),
                    ValueLayout.JAVA_INT));
    private static final MethodHandle GETEUID = LINKER.downcallHandle(
            LIBC.find("geteuid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private Libc() {}

    private static MethodHandle errnoCall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, Linker.Option.captureCallState("errno"));
    }

    /** A captured-state buffer for one call; the caller reads errno from it after a failure. */
    static MemorySegment captureState(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("geteuid", t);
        }
    }

    static int socket(MemorySegment state, int domain, int type, int protocol) throws Throwable {
        return (int) SOCKET.invokeExact(state, domain, type, protocol);
    }

    static long sendto(MemorySegment state, int fd, MemorySegment buf, long len, int flags,
                       MemorySegment addr, int addrLen) throws Throwable {
        return (long) SENDTO.invokeExact(state, fd, buf, len, flags, addr, addrLen);
    }

    static int bind(MemorySegment state, int fd, MemorySegment addr, int addrLen) throws Throwable {
        return (int) BIND.invokeExact(state, fd, addr, addrLen);
    }

    static long recv(MemorySegment state, int fd, MemorySegment buf, long len, int flags) throws Throwable {
        return (long) RECV.invokeExact(state, fd, buf, len, flags);
    }

    static int setsockopt(MemorySegment state, int fd, int level, int name, MemorySegment value, int len)
            throws Throwable {
        return (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, len);
    }

    static int close(MemorySegment state, int fd) throws Throwable {
        return (int) CLOSE.invokeExact(state, fd);
    }

    /** Throws a {@link SyscallException} for {@code call} when {@code result} is negative. */
    static long check(String call, long result, MemorySegment state) {
        if (result < 0) {
            int e = errno(state);
            throw new SyscallException(call, e, strerror(e));
        }
        return result;
    }
}
