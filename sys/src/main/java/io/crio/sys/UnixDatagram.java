package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Unix datagram sockets, which the JDK's channels do not offer. {@link #send} is used for the systemd
 * notification protocol; {@link Receiver} is its counterpart (a bound socket that reads datagrams). A
 * path starting with {@code @} names a socket in the abstract namespace.
 */
public final class UnixDatagram {

    private static final int SUN_PATH_MAX = 108;

    private UnixDatagram() {}

    public static void send(String socketPath, byte[] payload) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Address addr = address(arena, socketPath);
            MemorySegment buf = arena.allocate(Math.max(1, payload.length));
            MemorySegment.copy(payload, 0, buf, ValueLayout.JAVA_BYTE, 0, payload.length);
            int fd = openSocket(state);
            try {
                Libc.check("sendto " + socketPath,
                        Libc.sendto(state, fd, buf, payload.length, Libc.MSG_NOSIGNAL, addr.segment(), addr.length()),
                        state);
            } finally {
                Libc.close(state, fd);
            }
        } catch (SyscallException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sending datagram to " + socketPath, t);
        }
    }

    /** Binds a datagram socket at {@code socketPath} (the file must not exist yet). */
    public static Receiver bind(String socketPath) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Address addr = address(arena, socketPath);
            int fd = openSocket(state);
            try {
                Libc.check("bind " + socketPath, Libc.bind(state, fd, addr.segment(), addr.length()), state);
            } catch (SyscallException e) {
                Libc.close(state, fd);
                throw e;
            }
            return new Receiver(fd, socketPath);
        } catch (SyscallException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("binding datagram socket " + socketPath, t);
        }
    }

    private static int openSocket(MemorySegment state) throws Throwable {
        return (int) Libc.check("socket",
                Libc.socket(state, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0), state);
    }

    private record Address(MemorySegment segment, int length) {}

    private static Address address(Arena arena, String socketPath) {
        byte[] path = socketPath.getBytes(StandardCharsets.UTF_8);
        if (path.length == 0 || path.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("unix socket path must be 1 to 107 bytes: " + socketPath);
        }
        boolean abstractName = path[0] == '@';
        MemorySegment addr = arena.allocate(2 + SUN_PATH_MAX);
        addr.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(path, 0, addr, ValueLayout.JAVA_BYTE, 2, path.length);
        if (abstractName) {
            addr.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
        }
        return new Address(addr, 2 + path.length + (abstractName ? 0 : 1));
    }

    /** A bound datagram socket. */
    public static final class Receiver implements AutoCloseable {
        private final int fd;
        private final String path;
        private boolean closed;

        private Receiver(int fd, String path) {
            this.fd = fd;
            this.path = path;
        }

        /** Waits up to {@code timeout} for one datagram; empty when none arrived in time. */
        public Optional<byte[]> receive(Duration timeout) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.captureState(arena);
                MemorySegment tv = arena.allocate(16);
                tv.set(ValueLayout.JAVA_LONG, 0, Math.max(0, timeout.toSeconds()));
                tv.set(ValueLayout.JAVA_LONG, 8, Math.max(1, timeout.toNanosPart() / 1000));
                Libc.check("setsockopt SO_RCVTIMEO",
                        Libc.setsockopt(state, fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, tv, 16), state);
                MemorySegment buf = arena.allocate(65536);
                long n = Libc.recv(state, fd, buf, buf.byteSize(), 0);
                while (n < 0 && Libc.errno(state) == Libc.EINTR) {
                    n = Libc.recv(state, fd, buf, buf.byteSize(), 0);
                }
                if (n < 0 && Libc.errno(state) == Libc.EAGAIN) {
                    return Optional.empty();
                }
                Libc.check("recv " + path, n, state);
                return Optional.of(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            } catch (SyscallException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("receiving on " + path, t);
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                try (Arena arena = Arena.ofConfined()) {
                    Libc.close(Libc.captureState(arena), fd);
                } catch (Throwable ignored) {
                    // closing a socket we own cannot meaningfully fail
                }
            }
        }
    }
}
