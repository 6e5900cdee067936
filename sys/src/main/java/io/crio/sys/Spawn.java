package io.crio.sys;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Starting programs with file descriptors beyond stdin/stdout/stderr (which {@link ProcessBuilder} cannot
 * pass), through {@code posix_spawn(3)}, plus the pipe, read/write, wait and kill calls that go with it.
 *
 * <p>Every descriptor this class creates is close-on-exec; a child gets only the descriptors mapped in its
 * {@link SpawnRequest#childFds()}, and its standard streams opened from the given paths. The child starts
 * with no blocked signals and default dispositions, whatever the JVM's threads have set.
 */
public final class Spawn {

    /** A pipe: both ends close-on-exec. */
    public record Pipe(int readFd, int writeFd) {}

    /**
     * What to start.
     *
     * @param childFds child descriptor number → a descriptor of this process duplicated onto it
     * @param stdin path opened read-only as descriptor 0
     * @param stdout path opened for append as descriptor 1
     * @param stderr path opened for append as descriptor 2
     * @param setsid whether the child starts a new session
     * @param cwd the child's working directory, or null for this process's
     */
    public record SpawnRequest(String path, List<String> argv, Map<String, String> env, Map<Integer, Integer> childFds,
                               String stdin, String stdout, String stderr, boolean setsid, String cwd) {

        /** A request that keeps this process's working directory. */
        public SpawnRequest(String path, List<String> argv, Map<String, String> env, Map<Integer, Integer> childFds,
                            String stdin, String stdout, String stderr, boolean setsid) {
            this(path, argv, env, childFds, stdin, stdout, stderr, setsid, null);
        }

        public SpawnRequest {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
            childFds = Map.copyOf(childFds);
            stdin = stdin == null ? "/dev/null" : stdin;
            stdout = stdout == null ? "/dev/null" : stdout;
            stderr = stderr == null ? "/dev/null" : stderr;
        }
    }

    /** A read that did not finish in time. */
    public static final class TimeoutException extends RuntimeException {
        public TimeoutException(String message) {
            super(message);
        }
    }

    static final int POSIX_SPAWN_SETSIGDEF = 0x04;
    static final int POSIX_SPAWN_SETSIGMASK = 0x08;
    static final int POSIX_SPAWN_SETSID = 0x80;
    static final int O_CLOEXEC = 02000000;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_APPEND = 02000;
    static final int WNOHANG = 1;
    static final short POLLIN = 1;
    static final int EINTR = 4;
    static final int ECHILD = 10;
    static final int SIGKILL = 9;
    static final int SIGSTOP = 19;
    private static final int INTERRUPT_CHECK_MILLIS = 250;
    /** Sizes of glibc's opaque types, rounded up generously. */
    private static final long FILE_ACTIONS_SIZE = 256;
    private static final long SPAWNATTR_SIZE = 1024;
    private static final long SIGSET_SIZE = 128;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final MethodHandle FA_INIT = plain("posix_spawn_file_actions_init", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle FA_DESTROY = plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle FA_DUP2 = plain("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(INT, PTR, INT, INT));
    private static final MethodHandle FA_OPEN = plain("posix_spawn_file_actions_addopen",
            FunctionDescriptor.of(INT, PTR, INT, PTR, INT, INT));
    private static final MethodHandle FA_CHDIR = plain("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(INT, PTR, PTR));
    private static final MethodHandle ATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle ATTR_DESTROY = plain("posix_spawnattr_destroy", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle ATTR_FLAGS = plain("posix_spawnattr_setflags",
            FunctionDescriptor.of(INT, PTR, ValueLayout.JAVA_SHORT));
    private static final MethodHandle ATTR_SIGMASK = plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(INT, PTR, PTR));
    private static final MethodHandle ATTR_SIGDEFAULT = plain("posix_spawnattr_setsigdefault",
            FunctionDescriptor.of(INT, PTR, PTR));
    private static final MethodHandle SIGEMPTYSET = plain("sigemptyset", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle SIGFILLSET = plain("sigfillset", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle SIGDELSET = plain("sigdelset", FunctionDescriptor.of(INT, PTR, INT));
    private static final MethodHandle POSIX_SPAWN = plain("posix_spawn",
            FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR, PTR));
    private static final MethodHandle PIPE2 = errno("pipe2", FunctionDescriptor.of(INT, PTR, INT));
    private static final MethodHandle READ = errno("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle WRITE = errno("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle CLOSE = errno("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle POLL = errno("poll", FunctionDescriptor.of(INT, PTR, LONG, INT));
    private static final MethodHandle WAITPID = errno("waitpid", FunctionDescriptor.of(INT, INT, PTR, INT));
    /** pidfd_open(2) has the same number on every architecture (Linux 5.3 and later). */
    private static final long SYS_PIDFD_OPEN = 434;
    private static final MethodHandle SYSCALL2 = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(LONG, LONG, LONG, LONG), Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle KILL = errno("kill", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle MEMFD_CREATE = errno("memfd_create", FunctionDescriptor.of(INT, PTR, INT));
    private static final MethodHandle PWRITE = errno("pwrite", FunctionDescriptor.of(LONG, INT, PTR, LONG, LONG));
    private static final int MFD_CLOEXEC = 1;

    private Spawn() {}

    private static MethodHandle plain(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd);
    }

    private static MethodHandle errno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, Linker.Option.captureCallState("errno"));
    }

    public static Pipe pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment fds = arena.allocate(INT, 2);
            Libc.check("pipe2", (int) PIPE2.invokeExact(state, fds, O_CLOEXEC), state);
            return new Pipe(fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Starts the program; returns its pid. */
    public static int spawn(SpawnRequest req) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fa = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(SPAWNATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", (int) FA_INIT.invokeExact(fa));
            check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(attr));
            try {
                check("addopen stdin", (int) FA_OPEN.invokeExact(fa, 0, arena.allocateFrom(req.stdin()), O_RDONLY, 0));
                check("addopen stdout", (int) FA_OPEN.invokeExact(fa, 1, arena.allocateFrom(req.stdout()),
                        O_WRONLY | O_CREAT | O_APPEND, 0644));
                check("addopen stderr", (int) FA_OPEN.invokeExact(fa, 2, arena.allocateFrom(req.stderr()),
                        O_WRONLY | O_CREAT | O_APPEND, 0644));
                if (req.cwd() != null) {
                    check("addchdir " + req.cwd(), (int) FA_CHDIR.invokeExact(fa, arena.allocateFrom(req.cwd())));
                }
                for (Map.Entry<Integer, Integer> e : req.childFds().entrySet()) {
                    check("adddup2", (int) FA_DUP2.invokeExact(fa, (int) e.getValue(), (int) e.getKey()));
                }
                MemorySegment empty = arena.allocate(SIGSET_SIZE, 8);
                check("sigemptyset", (int) SIGEMPTYSET.invokeExact(empty));
                MemorySegment all = arena.allocate(SIGSET_SIZE, 8);
                check("sigfillset", (int) SIGFILLSET.invokeExact(all));
                check("sigdelset", (int) SIGDELSET.invokeExact(all, SIGKILL));
                check("sigdelset", (int) SIGDELSET.invokeExact(all, SIGSTOP));
                check("posix_spawnattr_setsigmask", (int) ATTR_SIGMASK.invokeExact(attr, empty));
                check("posix_spawnattr_setsigdefault", (int) ATTR_SIGDEFAULT.invokeExact(attr, all));
                int flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (req.setsid() ? POSIX_SPAWN_SETSID : 0);
                check("posix_spawnattr_setflags", (int) ATTR_FLAGS.invokeExact(attr, (short) flags));

                MemorySegment argv = strings(arena, req.argv());
                MemorySegment envp = strings(arena, req.env().entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).toList());
                MemorySegment pid = arena.allocate(INT);
                int rc = (int) POSIX_SPAWN.invokeExact(pid, arena.allocateFrom(req.path()), fa, attr, argv, envp);
                if (rc != 0) {
                    throw new SyscallException("posix_spawn " + req.path(), rc, Libc.strerror(rc));
                }
                return pid.get(INT, 0);
            } finally {
                int ignored = (int) FA_DESTROY.invokeExact(fa);
                ignored = (int) ATTR_DESTROY.invokeExact(attr);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(PTR, values.size() + 1);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(PTR, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(PTR, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(String call, int rc) {
        if (rc != 0) {
            throw new SyscallException(call, rc, Libc.strerror(rc));
        }
    }

    /**
     * Waits for child {@code pid} to end, at most {@code timeout}: its exit code, or 128 + the signal that
     * killed it; empty when it is still running. The wait sleeps on a pidfd, so it returns as soon as the
     * child ends; on kernels without pidfds it checks the child at growing intervals (up to 20 ms apart).
     */
    public static OptionalInt waitExit(int pid, Duration timeout) {
        int pidfd = pidfdOpen(pid);
        if (pidfd < 0) {
            return waitExitPolling(pid, timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment status = arena.allocate(INT);
            MemorySegment pfd = arena.allocate(8, 4);
            while (true) {
                OptionalInt ended = reap(pid, state, status);
                if (ended.isPresent()) {
                    return ended;
                }
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0) {
                    return OptionalInt.empty();
                }
                pfd.set(INT, 0, pidfd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int ready = (int) POLL.invokeExact(state, pfd, 1L,
                        (int) Math.min(Integer.MAX_VALUE, (leftNanos + 999_999) / 1_000_000));
                if (ready < 0 && Libc.errno(state) != EINTR) {
                    Libc.check("poll", ready, state);
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            close(pidfd);
        }
    }

    /** A pidfd for {@code pid}, or -1 when the kernel has none to give (before 5.3) or the pid is gone. */
    private static int pidfdOpen(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            long fd = (long) SYSCALL2.invokeExact(state, SYS_PIDFD_OPEN, (long) pid, 0L);
            return fd < 0 ? -1 : (int) fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The child's exit code when it has ended (and is now reaped); empty while it runs. */
    private static OptionalInt reap(int pid, MemorySegment state, MemorySegment status) throws Throwable {
        int rc = (int) WAITPID.invokeExact(state, pid, status, WNOHANG);
        if (rc == pid) {
            return OptionalInt.of(exitCode(status.get(INT, 0)));
        }
        if (rc < 0 && Libc.errno(state) != EINTR) {
            Libc.check("waitpid", rc, state);
        }
        return OptionalInt.empty();
    }

    private static int exitCode(int waitStatus) {
        int signal = waitStatus & 0x7f;
        return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal;
    }

    /** {@link #waitExit} for kernels without pidfds: checks at growing intervals. */
    private static OptionalInt waitExitPolling(int pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleepMicros = 100;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment status = arena.allocate(INT);
            while (true) {
                OptionalInt ended = reap(pid, state, status);
                if (ended.isPresent()) {
                    return ended;
                }
                if (System.nanoTime() >= deadline) {
                    return OptionalInt.empty();
                }
                Thread.sleep(sleepMicros / 1000, (int) (sleepMicros % 1000) * 1000);
                sleepMicros = Math.min(sleepMicros * 2, 20_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void kill(int pid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("kill", (int) KILL.invokeExact(state, pid, signal), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads until end of file, at most {@code maxBytes}; TimeoutException when EOF does not come in time. */
    public static byte[] readAll(int fd, Duration timeout, int maxBytes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no end of data on descriptor " + fd + " within " + timeout.toMillis() + " ms");
            }
            byte[] chunk = readSome(fd, Duration.ofNanos(left), 8192);
            if (chunk.length == 0) {
                return out.toByteArray();
            }
            if (out.size() + chunk.length > maxBytes) {
                throw new IllegalStateException("more than " + maxBytes + " bytes on descriptor " + fd);
            }
            out.write(chunk, 0, chunk.length);
        }
    }

    /**
     * How a program run by {@link #runToEnd} ended: its exit code (or 128 + signal; -1 when it was killed at
     * the timeout) and the first bytes of what it wrote on stdout and stderr.
     */
    public record Finished(int exitCode, boolean timedOut, byte[] out, boolean outTruncated, byte[] err,
                           boolean errTruncated) {}

    /**
     * Runs a program to its end on the calling thread: its stdout and stderr are read through pipes (the first
     * {@code maxOut} and {@code maxErr} bytes kept, the rest read and dropped) while a pidfd tells when it
     * exits; no helper process or thread. Once it has exited, output still held open by something it left
     * running is waited for at most {@code outputGrace}. At {@code timeout} the program and everything it
     * started are killed, as they are when the calling thread is interrupted (the interrupt stays set). The
     * request's stdout and stderr paths are not used.
     */
    public static Finished runToEnd(SpawnRequest req, Duration timeout, int maxOut, int maxErr, Duration outputGrace) {
        return runToEnd(req, timeout, maxOut, maxErr, outputGrace, () -> { });
    }

    /**
     * {@link #runToEnd(SpawnRequest, Duration, int, int, Duration)}, running {@code whileRunning} on the calling
     * thread once the program has been started and before its end is waited for: work of the caller's that
     * can overlap the program's. What {@code whileRunning} throws ends the program as a timeout would, and
     * propagates.
     */
    public static Finished runToEnd(SpawnRequest req, Duration timeout, int maxOut, int maxErr, Duration outputGrace,
                                    Runnable whileRunning) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pipe out = pipe();
        Pipe err = null;
        int pid;
        try {
            err = pipe();
            Map<Integer, Integer> fds = new java.util.HashMap<>(req.childFds());
            fds.put(1, out.writeFd());
            fds.put(2, err.writeFd());
            pid = spawn(new SpawnRequest(req.path(), req.argv(), req.env(), fds, req.stdin(), null, null, req.setsid(),
                    req.cwd()));
        } catch (RuntimeException e) {
            close(out.readFd());
            close(err == null ? -1 : err.readFd());
            throw e;
        } finally {
            close(out.writeFd());
            close(err == null ? -1 : err.writeFd());
        }
        int[] fds = {out.readFd(), err.readFd(), -1};
        boolean exited = false;
        try (Arena arena = Arena.ofConfined()) {
            fds[2] = pidfdOpen(pid);
            whileRunning.run();
            int[] limits = {maxOut, maxErr};
            ByteArrayOutputStream[] got = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
            boolean[] truncated = new boolean[2];
            boolean[] open = {true, true, fds[2] >= 0};
            int exit = -1;
            MemorySegment state = Libc.captureState(arena);
            MemorySegment status = arena.allocate(INT);
            MemorySegment pfds = arena.allocate(24, 4);
            MemorySegment buf = arena.allocate(8192);
            long outputDeadline = deadline;
            while (true) {
                if (!exited) {
                    OptionalInt ended = reap(pid, state, status);
                    if (ended.isPresent()) {
                        exited = true;
                        exit = ended.getAsInt();
                        open[2] = false;
                        outputDeadline = Math.min(deadline, System.nanoTime() + outputGrace.toNanos());
                    }
                }
                if (exited && !open[0] && !open[1]) {
                    break;
                }
                long now = System.nanoTime();
                if (now >= (exited ? outputDeadline : deadline) || Thread.currentThread().isInterrupted()) {
                    break;
                }
                for (int i = 0; i < 3; i++) {
                    // a negative descriptor is skipped by poll(2)
                    pfds.set(INT, i * 8L, open[i] ? fds[i] : -1);
                    pfds.set(ValueLayout.JAVA_SHORT, i * 8L + 4, POLLIN);
                    pfds.set(ValueLayout.JAVA_SHORT, i * 8L + 6, (short) 0);
                }
                // without a pidfd (kernels before 5.3) the exit is looked for every 20 ms; an interrupt of the
                // calling thread is seen within a quarter of a second
                long waitMillis = ((exited ? outputDeadline : deadline) - now + 999_999) / 1_000_000;
                int pollMillis = (int) Math.min(fds[2] < 0 && !exited ? 20 : waitMillis, INTERRUPT_CHECK_MILLIS);
                int ready = (int) POLL.invokeExact(state, pfds, 3L, pollMillis);
                if (ready < 0 && Libc.errno(state) != EINTR) {
                    Libc.check("poll", ready, state);
                }
                for (int i = 0; i < 2 && ready > 0; i++) {
                    if (!open[i] || pfds.get(ValueLayout.JAVA_SHORT, i * 8L + 6) == 0) {
                        continue;
                    }
                    long n = (long) READ.invokeExact(state, fds[i], buf, buf.byteSize());
                    if (n < 0) {
                        if (Libc.errno(state) == EINTR) {
                            continue;
                        }
                        Libc.check("read", n, state);
                    }
                    if (n == 0) {
                        open[i] = false;
                        continue;
                    }
                    int keep = (int) Math.min(n, limits[i] - got[i].size());
                    if (keep < n) {
                        truncated[i] = true;
                    }
                    if (keep > 0) {
                        got[i].write(buf.asSlice(0, keep).toArray(ValueLayout.JAVA_BYTE), 0, keep);
                    }
                }
            }
            return new Finished(exited ? exit : -1, !exited, got[0].toByteArray(), truncated[0], got[1].toByteArray(),
                    truncated[1]);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            if (!exited) {
                // the timeout, an interrupt or a failure of this loop: nothing of the program is left running
                ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(ProcessHandle::destroyForcibly));
                killAndReap(pid);
            }
            close(fds[0]);
            close(fds[1]);
            close(fds[2]);
        }
    }

    /** Reaps, on a thread of its own, a killed child that has not ended yet (stuck in the kernel, say). */
    private static void reapLater(int pid) {
        Thread t = new Thread(() -> waitExit(pid, Duration.ofDays(365)), "reap-" + pid);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Kills child {@code pid} with SIGKILL and reaps it: within 5 s, else on a thread of its own (a process
     * stuck in the kernel can outlive that). Nothing happens to a child that is already gone.
     */
    public static void killAndReap(int pid) {
        try {
            kill(pid, SIGKILL);
        } catch (SyscallException gone) {
            // it ended meanwhile; it is reaped below
        }
        try {
            if (waitExit(pid, Duration.ofSeconds(5)).isEmpty()) {
                reapLater(pid);
            }
        } catch (SyscallException alreadyReaped) {
            // not a child any more: someone reaped it
        }
    }

    /**
     * Reads what is available once data arrives, at most {@code maxBytes}: an empty array at end of file;
     * TimeoutException when nothing arrives in time.
     */
    public static byte[] readSome(int fd, Duration timeout, int maxBytes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment pfd = arena.allocate(8, 4);
            MemorySegment buf = arena.allocate(Math.max(1, maxBytes));
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new TimeoutException("no data on descriptor " + fd + " within " + timeout.toMillis() + " ms");
                }
                pfd.set(INT, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int ready = (int) POLL.invokeExact(state, pfd, 1L, (int) Math.min(left, Integer.MAX_VALUE));
                if (ready < 0 && Libc.errno(state) != EINTR) {
                    Libc.check("poll", ready, state);
                }
                if (ready <= 0) {
                    continue;
                }
                long n = (long) READ.invokeExact(state, fd, buf, buf.byteSize());
                if (n < 0) {
                    if (Libc.errno(state) == EINTR) {
                        continue;
                    }
                    Libc.check("read", n, state);
                }
                return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A file in memory holding {@code data}, its offset at the start: a child given it as a descriptor (its
     * stdin, say) reads the data, with nothing written to any file system. Close-on-exec; the caller closes it.
     */
    public static int memoryFile(String name, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            int fd = (int) MEMFD_CREATE.invokeExact(state, arena.allocateFrom(name), MFD_CLOEXEC);
            Libc.check("memfd_create", fd, state);
            try {
                MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
                long off = 0;
                while (off < data.length) {
                    // pwrite leaves the offset where it is: at the start, for the reader
                    long n = (long) PWRITE.invokeExact(state, fd, buf.asSlice(off), (long) data.length - off, off);
                    if (n < 0) {
                        if (Libc.errno(state) == EINTR) {
                            continue;
                        }
                        Libc.check("pwrite", n, state);
                    }
                    off += n;
                }
                return fd;
            } catch (Throwable t) {
                close(fd);
                throw t;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void writeFully(int fd, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            long off = 0;
            while (off < data.length) {
                long n = (long) WRITE.invokeExact(state, fd, buf.asSlice(off), (long) data.length - off);
                if (n < 0) {
                    if (Libc.errno(state) == EINTR) {
                        continue;
                    }
                    Libc.check("write", n, state);
                }
                off += n;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Closes a descriptor; a negative one is ignored, and so are errors (the descriptor is gone either way). */
    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            int ignored = (int) CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
