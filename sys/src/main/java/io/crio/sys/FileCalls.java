package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Instant;

/**
 * File system calls the JDK does not offer, or offers only by path: the {@code *at} family relative to a
 * directory descriptor (for walking a tree without following symbolic links), device nodes, ownership and
 * mode with all twelve permission bits (setuid, setgid, sticky), nanosecond times on symbolic links, and
 * extended attributes.
 *
 * <p>Every call captures {@code errno}; a failure throws a {@link SyscallException} whose message starts
 * with the call's name and the path it was given, and whose {@link SyscallException#errno()} callers can
 * test against the constants below. Strings are passed to the kernel as UTF-8.
 *
 * <p>The {@code O_*} constants differ between architectures; the values here are those of the running one
 * (x86-64, arm64, ppc64le, riscv64 and s390x are known).
 */
public final class FileCalls {

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_DIRECTORY;
    public static final int O_NOFOLLOW;

    public static final int S_IFMT = 0170000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ERANGE = 34;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    static {
        String arch = System.getProperty("os.arch", "");
        boolean armLike = arch.equals("aarch64") || arch.equals("arm") || arch.startsWith("ppc");
        O_DIRECTORY = armLike ? 040000 : 0200000;
        O_NOFOLLOW = armLike ? 0100000 : 0400000;
    }

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle OPENAT = call("openat",
            FunctionDescriptor.of(INT, INT, PTR, INT, INT), Linker.Option.firstVariadicArg(3));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle MKDIRAT = call("mkdirat", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle MKNODAT = call("mknodat", FunctionDescriptor.of(INT, INT, PTR, INT, LONG));
    private static final MethodHandle SYMLINKAT = call("symlinkat", FunctionDescriptor.of(INT, PTR, INT, PTR));
    private static final MethodHandle LINKAT = call("linkat", FunctionDescriptor.of(INT, INT, PTR, INT, PTR, INT));
    private static final MethodHandle UNLINKAT = call("unlinkat", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle FCHOWNAT = call("fchownat", FunctionDescriptor.of(INT, INT, PTR, INT, INT, INT));
    private static final MethodHandle FCHOWN = call("fchown", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle FCHMODAT = call("fchmodat", FunctionDescriptor.of(INT, INT, PTR, INT, INT));
    private static final MethodHandle FCHMOD = call("fchmod", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle UTIMENSAT = call("utimensat", FunctionDescriptor.of(INT, INT, PTR, PTR, INT));
    private static final MethodHandle FUTIMENS = call("futimens", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle LSETXATTR = call("lsetxattr", FunctionDescriptor.of(INT, PTR, PTR, PTR, LONG, INT));
    private static final MethodHandle FSETXATTR = call("fsetxattr", FunctionDescriptor.of(INT, INT, PTR, PTR, LONG, INT));
    private static final MethodHandle LGETXATTR = call("lgetxattr", FunctionDescriptor.of(LONG, PTR, PTR, PTR, LONG));

    private FileCalls() {}

    private static MethodHandle call(String name, FunctionDescriptor fd, Linker.Option... options) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option[] all = new Linker.Option[options.length + 1];
        System.arraycopy(options, 0, all, 0, options.length);
        all[options.length] = Linker.Option.captureCallState("errno");
        return linker.downcallHandle(libc.find(name).orElseThrow(), fd, all);
    }

    /** The device number glibc's {@code makedev} builds from a major and minor number. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** {@code openat(2)}; returns the new descriptor. {@code mode} matters only with {@link #O_CREAT}. */
    public static int openat(int dirFd, String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            return (int) Libc.check("openat " + path,
                    (int) OPENAT.invokeExact(state, dirFd, arena.allocateFrom(path), flags, mode), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code close(2)}. */
    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("close", (int) CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Writes the first {@code length} bytes of {@code buffer} to {@code fd}, repeating short writes and
     * writes interrupted by a signal until all are written.
     */
    public static void writeFully(int fd, MemorySegment buffer, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            long done = 0;
            while (done < length) {
                long n = (long) WRITE.invokeExact(state, fd, buffer.asSlice(done), length - done);
                if (n < 0 && Libc.errno(state) == EINTR) {
                    continue;
                }
                done += Libc.check("write", n, state);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mkdirat(2)}; the process umask applies to {@code mode}. */
    public static void mkdirat(int dirFd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("mkdirat " + path, (int) MKDIRAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code mknodat(2)}: {@code mode} carries the file type ({@link #S_IFCHR}, {@link #S_IFBLK},
     * {@link #S_IFIFO}) and the permission bits (the umask applies); {@code dev} comes from {@link #makedev}.
     */
    public static void mknodat(int dirFd, String path, int mode, long dev) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("mknodat " + path,
                    (int) MKNODAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode, dev), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code symlinkat(2)}: creates {@code path} (relative to {@code dirFd}) pointing at {@code target}. */
    public static void symlinkat(String target, int dirFd, String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("symlinkat " + path,
                    (int) SYMLINKAT.invokeExact(state, arena.allocateFrom(target), dirFd, arena.allocateFrom(path)),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code linkat(2)}. With {@code flags} 0 a symbolic link at {@code oldPath} is linked itself, not
     * followed.
     */
    public static void linkat(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("linkat " + oldPath + " " + newPath,
                    (int) LINKAT.invokeExact(state, oldDirFd, arena.allocateFrom(oldPath), newDirFd,
                            arena.allocateFrom(newPath), flags),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code unlinkat(2)}; {@link #AT_REMOVEDIR} removes an empty directory. */
    public static void unlinkat(int dirFd, String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("unlinkat " + path, (int) UNLINKAT.invokeExact(state, dirFd, arena.allocateFrom(path), flags),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code unlinkat(2)} that treats a missing {@code path} as done: returns whether something was removed.
     * (Cheaper than catching the {@link #ENOENT} exception where absence is the common case.)
     */
    public static boolean unlinkatIfExists(int dirFd, String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            int result = (int) UNLINKAT.invokeExact(state, dirFd, arena.allocateFrom(path), flags);
            if (result < 0 && Libc.errno(state) == ENOENT) {
                return false;
            }
            Libc.check("unlinkat " + path, result, state);
            return true;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code fchownat(2)}; with {@link #AT_SYMLINK_NOFOLLOW} this is {@code lchown} relative to a directory. */
    public static void fchownat(int dirFd, String path, int uid, int gid, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("fchownat " + path,
                    (int) FCHOWNAT.invokeExact(state, dirFd, arena.allocateFrom(path), uid, gid, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code lchown(2)} by path: never follows a final symbolic link. */
    public static void lchown(String path, int uid, int gid) {
        fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
    }

    /** {@code fchown(2)}. */
    public static void fchown(int fd, int uid, int gid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("fchown", (int) FCHOWN.invokeExact(state, fd, uid, gid), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code fchmodat(2)} with all of {@code 07777}. Linux cannot change a symbolic link's mode, so flags
     * should be 0 and {@code path} must not be a symbolic link (it would be followed).
     */
    public static void fchmodat(int dirFd, String path, int mode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("fchmodat " + path,
                    (int) FCHMODAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code fchmod(2)} with all of {@code 07777}. */
    public static void fchmod(int fd, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("fchmod", (int) FCHMOD.invokeExact(state, fd, mode), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code utimensat(2)}: sets access and modification times with nanoseconds; with
     * {@link #AT_SYMLINK_NOFOLLOW} a symbolic link's own times are set.
     */
    public static void utimensat(int dirFd, String path, Instant atime, Instant mtime, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("utimensat " + path,
                    (int) UTIMENSAT.invokeExact(state, dirFd, arena.allocateFrom(path), timespecs(arena, atime, mtime),
                            flags),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code futimens(3)}: {@link #utimensat} on an open descriptor. */
    public static void futimens(int fd, Instant atime, Instant mtime) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("futimens", (int) FUTIMENS.invokeExact(state, fd, timespecs(arena, atime, mtime)), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code lsetxattr(2)}: sets an extended attribute on {@code path} itself, never following a link. */
    public static void lsetxattr(String path, String name, byte[] value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("lsetxattr " + path + " " + name,
                    (int) LSETXATTR.invokeExact(state, arena.allocateFrom(path), arena.allocateFrom(name),
                            bytes(arena, value), (long) value.length, 0),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code fsetxattr(2)}. */
    public static void fsetxattr(int fd, String name, byte[] value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("fsetxattr " + name,
                    (int) FSETXATTR.invokeExact(state, fd, arena.allocateFrom(name), bytes(arena, value),
                            (long) value.length, 0),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code lgetxattr(2)}: the value of an extended attribute of {@code path} itself. A missing attribute
     * throws with {@link #ENODATA}.
     */
    public static byte[] lgetxattr(String path, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment p = arena.allocateFrom(path);
            MemorySegment n = arena.allocateFrom(name);
            while (true) {
                long size = Libc.check("lgetxattr " + path + " " + name,
                        (long) LGETXATTR.invokeExact(state, p, n, MemorySegment.NULL, 0L), state);
                MemorySegment buf = arena.allocate(Math.max(1, size));
                long got = (long) LGETXATTR.invokeExact(state, p, n, buf, size);
                if (got < 0 && Libc.errno(state) == ERANGE) {
                    continue; // grew between the two calls
                }
                Libc.check("lgetxattr " + path + " " + name, got, state);
                return buf.asSlice(0, got).toArray(ValueLayout.JAVA_BYTE);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment timespecs(Arena arena, Instant atime, Instant mtime) {
        MemorySegment ts = arena.allocate(LONG, 4);
        ts.setAtIndex(LONG, 0, atime.getEpochSecond());
        ts.setAtIndex(LONG, 1, atime.getNano());
        ts.setAtIndex(LONG, 2, mtime.getEpochSecond());
        ts.setAtIndex(LONG, 3, mtime.getNano());
        return ts;
    }

    private static MemorySegment bytes(Arena arena, byte[] value) {
        return value.length == 0 ? arena.allocate(1) : arena.allocateFrom(ValueLayout.JAVA_BYTE, value);
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
