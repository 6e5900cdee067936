package io.crio.sys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code mount(2)} and {@code umount2(2)}, and a mount point test.
 *
 * <p>Every call captures {@code errno}; a failure throws a {@link SyscallException} whose message starts
 * with the call's name and its target, and whose {@link SyscallException#errno()} callers can test against
 * the constants below. Strings are passed to the kernel as UTF-8.
 */
public final class MountCalls {

    public static final long MS_RDONLY = 1L;
    public static final long MS_NOSUID = 2L;
    public static final long MS_NODEV = 4L;
    public static final long MS_NOEXEC = 8L;
    public static final long MS_REMOUNT = 32L;
    public static final long MS_BIND = 4096L;
    public static final long MS_REC = 16384L;
    public static final long MS_PRIVATE = 1L << 18;
    public static final long MS_SLAVE = 1L << 19;
    public static final long MS_SHARED = 1L << 20;

    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int UMOUNT_NOFOLLOW = 8;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ENOTDIR = 20;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle MOUNT = call("mount",
            FunctionDescriptor.of(INT, PTR, PTR, PTR, ValueLayout.JAVA_LONG, PTR));
    private static final MethodHandle UMOUNT2 = call("umount2", FunctionDescriptor.of(INT, PTR, INT));
    /** glibc's statx (2.28+); null where the C library lacks it, and mount points are found in the table. */
    private static final MethodHandle STATX = Linker.nativeLinker().defaultLookup().find("statx")
            .map(f -> Linker.nativeLinker().downcallHandle(f, FunctionDescriptor.of(INT, INT, PTR, INT, INT, PTR),
                    Linker.Option.captureCallState("errno")))
            .orElse(null);

    // statx(2): struct statx is 256 bytes; stx_attributes at 8, stx_attributes_mask at 56
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_NO_AUTOMOUNT = 0x800;
    private static final int STATX_TYPE = 0x1;
    private static final long STATX_ATTR_MOUNT_ROOT = 0x2000L;
    private static final long STATX_SIZE = 256;
    private static final long STX_ATTRIBUTES = 8;
    private static final long STX_ATTRIBUTES_MASK = 56;
    static final int STATX_MISSING = -1;
    static final int STATX_UNKNOWN = -2;

    private MountCalls() {}

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    /**
     * {@code mount(2)}. A null {@code source}, {@code fstype} or {@code data} is passed as a NULL pointer
     * (as a bind mount or a propagation change wants).
     */
    public static void mount(String source, String target, String fstype, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("mount " + target,
                    (int) MOUNT.invokeExact(state, string(arena, source), arena.allocateFrom(target),
                            string(arena, fstype), flags, string(arena, data)),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code umount2(2)}: {@code flags} takes {@link #MNT_DETACH}, {@link #MNT_FORCE}, {@link #UMOUNT_NOFOLLOW}. */
    public static void umount2(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            Libc.check("umount2 " + target, (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target), flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code umount2(2)} that treats "not a mount point" ({@link #EINVAL}) and a missing {@code target}
     * ({@link #ENOENT}) as done: returns whether a mount was removed. Meant for idempotent teardown, where
     * catching an exception for the common case would cost more than the call.
     */
    public static boolean umount2IfMounted(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            int result = (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target), flags);
            if (result < 0) {
                int e = Libc.errno(state);
                if (e == EINVAL || e == ENOENT) {
                    return false;
                }
            }
            Libc.check("umount2 " + target, result, state);
            return true;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Whether {@code path} is a mount point in this process's mount namespace. Symbolic links in the parent
     * directories are resolved; the last component itself is taken as it is. A path that does not exist is
     * not a mount point. Asks the kernel ({@code statx(2)}'s mount-root attribute, Linux 5.8+) and reads
     * {@code /proc/self/mountinfo} only where the kernel cannot tell: that table grows with every container
     * and pod, and producing it costs the kernel far more than one {@code statx}.
     */
    public static boolean isMountPoint(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            return true;
        }
        int root = mountRootAttribute(abs.toString());
        if (root == STATX_MISSING) {
            return false;
        }
        if (root != STATX_UNKNOWN) {
            return root == 1;
        }
        return isMountPointByTable(abs);
    }

    /** {@link #isMountPoint} by {@code /proc/self/mountinfo} alone, for kernels that do not report the attribute. */
    static boolean isMountPointByTable(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            return true;
        }
        byte[] wanted;
        byte[] table;
        try {
            wanted = parent.toRealPath().resolve(abs.getFileName()).toString().getBytes(StandardCharsets.UTF_8);
            table = Files.readAllBytes(MOUNTINFO);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mountinfoHas(table, wanted);
    }

    /**
     * The mount-root attribute of {@code path} (not following a final symbolic link): 1 or 0,
     * {@link #STATX_MISSING} when the path does not exist, {@link #STATX_UNKNOWN} when the kernel (or its
     * file system) does not report the attribute or {@code statx} fails otherwise.
     */
    static int mountRootAttribute(String path) {
        if (STATX == null) {
            return STATX_UNKNOWN;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.captureState(arena);
            MemorySegment buf = arena.allocate(STATX_SIZE, 8);
            int result = (int) STATX.invokeExact(state, AT_FDCWD, arena.allocateFrom(path),
                    AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
                    STATX_TYPE, buf);
            if (result < 0) {
                int e = Libc.errno(state);
                return e == ENOENT || e == ENOTDIR ? STATX_MISSING : STATX_UNKNOWN;
            }
            long attributes = buf.get(ValueLayout.JAVA_LONG, STX_ATTRIBUTES);
            long supported = buf.get(ValueLayout.JAVA_LONG, STX_ATTRIBUTES_MASK);
            if ((supported & STATX_ATTR_MOUNT_ROOT) == 0) {
                return STATX_UNKNOWN;
            }
            return (attributes & STATX_ATTR_MOUNT_ROOT) != 0 ? 1 : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether a line of a {@code mountinfo} table has {@code mountPoint} (UTF-8, unescaped) as its fifth field, once decoded. */
    static boolean mountinfoHas(byte[] table, byte[] mountPoint) {
        int lineStart = 0;
        while (lineStart < table.length) {
            int lineEnd = indexOf(table, (byte) '\n', lineStart, table.length);
            int fieldStart = lineStart;
            for (int skip = 0; skip < 4 && fieldStart < lineEnd; skip++) {
                fieldStart = indexOf(table, (byte) ' ', fieldStart, lineEnd) + 1;
            }
            if (fieldStart < lineEnd) {
                int fieldEnd = indexOf(table, (byte) ' ', fieldStart, lineEnd);
                if (fieldMatches(table, fieldStart, fieldEnd, mountPoint)) {
                    return true;
                }
            }
            lineStart = lineEnd + 1;
        }
        return false;
    }

    /** Decodes the octal escapes ({@code \040} for a space) the kernel writes into mount table paths. */
    static String decodeMountPath(String field) {
        byte[] raw = field.getBytes(StandardCharsets.UTF_8);
        return new String(decode(raw, 0, raw.length), StandardCharsets.UTF_8);
    }

    private static boolean fieldMatches(byte[] table, int from, int to, byte[] wanted) {
        if (indexOf(table, (byte) '\\', from, to) == to) {
            return Arrays.equals(table, from, to, wanted, 0, wanted.length);
        }
        return Arrays.equals(decode(table, from, to), wanted);
    }

    private static byte[] decode(byte[] raw, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        int i = from;
        while (i < to) {
            if (raw[i] == '\\' && i + 3 < to && isOctal(raw[i + 1]) && isOctal(raw[i + 2]) && isOctal(raw[i + 3])) {
                out.write(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
                i += 4;
            } else {
                out.write(raw[i]);
                i++;
            }
        }
        return out.toByteArray();
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }

    /** The index of the first {@code b} in {@code a[from, to)}, or {@code to}. */
    private static int indexOf(byte[] a, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return to;
    }

    private static MemorySegment string(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
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
