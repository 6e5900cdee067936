package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Network interface flags through {@code ioctl(SIOCGIFFLAGS/SIOCSIFFLAGS)}, for the one thing a new network
 * namespace needs before anything else: its loopback interface up (as the CNI {@code loopback} plugin does).
 * Acts in the calling thread's network namespace.
 */
public final class LinkCalls {

    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final short IFF_UP = 0x1;
    /** struct ifreq: 16 bytes of name, then a union of at least 24 bytes (flags are its first short). */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LINKER.defaultLookup().find("socket").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private LinkCalls() {}

    /** Sets interface {@code name} up (no-op when it already is). */
    public static void up(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("invalid interface name " + name);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            int fd = (int) Libc.check("socket", (int) SOCKET.invokeExact(state, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), state);
            try {
                MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
                MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
                Libc.check("ioctl SIOCGIFFLAGS " + name, (int) IOCTL.invokeExact(state, fd, SIOCGIFFLAGS, ifr), state);
                short flags = ifr.get(ValueLayout.JAVA_SHORT, IFNAMSIZ);
                if ((flags & IFF_UP) == 0) {
                    ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (flags | IFF_UP));
                    Libc.check("ioctl SIOCSIFFLAGS " + name, (int) IOCTL.invokeExact(state, fd, SIOCSIFFLAGS, ifr), state);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
