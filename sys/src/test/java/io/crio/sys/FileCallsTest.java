package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCallsTest {

    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    @TempDir
    Path dir;

    private int dirFd;

    @BeforeEach
    void openDir() {
        dirFd = FileCalls.openat(FileCalls.AT_FDCWD, dir.toString(),
                FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC, 0);
    }

    @AfterEach
    void closeDir() {
        FileCalls.close(dirFd);
    }

    private static boolean root() {
        return Libc.geteuid() == 0;
    }

    @Test
    void createsAndWritesAFileRelativeToADirectory() throws Exception {
        int fd = FileCalls.openat(dirFd, "f",
                FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC,
                0600);
        try (Arena arena = Arena.ofConfined()) {
            byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            FileCalls.writeFully(fd, buf, data.length);
        } finally {
            FileCalls.close(fd);
        }
        assertEquals("hello", Files.readString(dir.resolve("f")));
        SyscallException e = assertThrows(SyscallException.class, () -> FileCalls.openat(dirFd, "f",
                FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL, 0600));
        assertEquals(FileCalls.EEXIST, e.errno());
        assertTrue(e.getMessage().startsWith("openat f"), e.getMessage());
    }

    @Test
    void openWithNoFollowRefusesASymlinkedDirectory() throws Exception {
        Files.createDirectory(dir.resolve("real"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        int flags = FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC;
        FileCalls.close(FileCalls.openat(dirFd, "real", flags, 0));
        SyscallException e = assertThrows(SyscallException.class, () -> FileCalls.openat(dirFd, "link", flags, 0));
        assertTrue(e.errno() == FileCalls.ENOTDIR || e.errno() == FileCalls.ELOOP, e.getMessage());
    }

    @Test
    void chmodKeepsSetuidSetgidAndSticky() throws Exception {
        Files.createFile(dir.resolve("f"));
        FileCalls.fchmodat(dirFd, "f", 07755, 0);
        assertEquals(07755, mode(dir.resolve("f")) & 07777);
        int fd = FileCalls.openat(dirFd, "f", FileCalls.O_RDONLY | FileCalls.O_CLOEXEC, 0);
        try {
            FileCalls.fchmod(fd, 02640);
        } finally {
            FileCalls.close(fd);
        }
        assertEquals(02640, mode(dir.resolve("f")) & 07777);
    }

    @Test
    void mkdirSymlinkLinkAndUnlink() throws Exception {
        FileCalls.mkdirat(dirFd, "d", 0700);
        assertTrue(Files.isDirectory(dir.resolve("d"), NOFOLLOW));
        FileCalls.symlinkat("/nowhere", dirFd, "s");
        assertEquals("/nowhere", Files.readSymbolicLink(dir.resolve("s")).toString());
        FileCalls.linkat(dirFd, "s", dirFd, "s2", 0);
        assertTrue(Files.isSymbolicLink(dir.resolve("s2")), "linkat with flags 0 links the symlink itself");
        FileCalls.unlinkat(dirFd, "s", 0);
        assertFalse(Files.exists(dir.resolve("s"), NOFOLLOW));
        assertFalse(FileCalls.unlinkatIfExists(dirFd, "s", 0));
        assertTrue(FileCalls.unlinkatIfExists(dirFd, "s2", 0));
        assertFalse(Files.exists(dir.resolve("s2"), NOFOLLOW));
        SyscallException e = assertThrows(SyscallException.class, () -> FileCalls.unlinkat(dirFd, "d", 0));
        assertEquals(FileCalls.EISDIR, e.errno());
        FileCalls.unlinkat(dirFd, "d", FileCalls.AT_REMOVEDIR);
        assertFalse(Files.exists(dir.resolve("d")));
    }

    @Test
    void symlinkTimesAreSetWithoutFollowing() throws Exception {
        Path target = Files.createFile(dir.resolve("target"));
        FileTime before = Files.getLastModifiedTime(target);
        FileCalls.symlinkat("target", dirFd, "s");
        Instant t = Instant.ofEpochSecond(1_000_000_000L, 123_456_789);
        FileCalls.utimensat(dirFd, "s", t, t, FileCalls.AT_SYMLINK_NOFOLLOW);
        assertEquals(t, Files.getLastModifiedTime(dir.resolve("s"), NOFOLLOW).toInstant());
        assertEquals(before, Files.getLastModifiedTime(target));
    }

    @Test
    void futimensSetsNanoseconds() throws Exception {
        Files.createFile(dir.resolve("f"));
        int fd = FileCalls.openat(dirFd, "f", FileCalls.O_RDONLY | FileCalls.O_CLOEXEC, 0);
        Instant t = Instant.ofEpochSecond(1_500_000_000L, 987_654_321);
        try {
            FileCalls.futimens(fd, t, t);
        } finally {
            FileCalls.close(fd);
        }
        assertEquals(t, Files.getLastModifiedTime(dir.resolve("f")).toInstant());
    }

    @Test
    void ownershipOfASymlinkItself() throws Exception {
        assumeTrue(root(), "needs root");
        Path target = Files.createFile(dir.resolve("target"));
        FileCalls.symlinkat("target", dirFd, "s");
        FileCalls.fchownat(dirFd, "s", 1234, 4321, FileCalls.AT_SYMLINK_NOFOLLOW);
        assertEquals(1234, Files.getAttribute(dir.resolve("s"), "unix:uid", NOFOLLOW));
        assertEquals(4321, Files.getAttribute(dir.resolve("s"), "unix:gid", NOFOLLOW));
        assertEquals(0, Files.getAttribute(target, "unix:uid"));
        FileCalls.lchown(target.toString(), 7, 8);
        assertEquals(7, Files.getAttribute(target, "unix:uid"));
    }

    @Test
    void mknodMakesCharDevicesAndFifos() throws Exception {
        assumeTrue(root(), "needs CAP_MKNOD");
        FileCalls.mknodat(dirFd, "null", FileCalls.S_IFCHR | 0666, FileCalls.makedev(1, 3));
        FileCalls.mknodat(dirFd, "fifo", FileCalls.S_IFIFO | 0600, 0);
        Map<String, Object> a = Files.readAttributes(dir.resolve("null"), "unix:mode,rdev", NOFOLLOW);
        assertEquals(FileCalls.S_IFCHR, (int) a.get("mode") & FileCalls.S_IFMT);
        assertEquals(FileCalls.makedev(1, 3), (long) a.get("rdev"));
        assertEquals(FileCalls.S_IFIFO, mode(dir.resolve("fifo")) & FileCalls.S_IFMT);
    }

    @Test
    void makedevMatchesGlibc() {
        assertEquals(0x103L, FileCalls.makedev(1, 3));
        assertEquals(0x1000_0000_0000L | 0x100L | 0x1L, FileCalls.makedev(0x1001, 1)); // big major
        assertEquals((0x1200L << 12) | 0x34L | (7L << 8), FileCalls.makedev(7, 0x1234));
    }

    @Test
    void extendedAttributesRoundTripBinaryValues() throws Exception {
        Path f = Files.createFile(dir.resolve("f"));
        byte[] value = {0, (byte) 0x80, (byte) 0xff, 1};
        FileCalls.lsetxattr(f.toString(), "user.test", value);
        assertArrayEquals(value, FileCalls.lgetxattr(f.toString(), "user.test"));
        int fd = FileCalls.openat(dirFd, "f", FileCalls.O_RDONLY | FileCalls.O_CLOEXEC, 0);
        try {
            FileCalls.fsetxattr(fd, "user.empty", new byte[0]);
        } finally {
            FileCalls.close(fd);
        }
        assertArrayEquals(new byte[0], FileCalls.lgetxattr(f.toString(), "user.empty"));
        SyscallException e = assertThrows(SyscallException.class,
                () -> FileCalls.lgetxattr(f.toString(), "user.missing"));
        assertEquals(FileCalls.ENODATA, e.errno());
    }

    @Test
    void trustedXattrsNeedRoot() throws Exception {
        assumeTrue(root(), "trusted.* needs CAP_SYS_ADMIN");
        Path d = Files.createDirectory(dir.resolve("d"));
        FileCalls.lsetxattr(d.toString(), "trusted.overlay.opaque", new byte[] {'y'});
        assertArrayEquals(new byte[] {'y'}, FileCalls.lgetxattr(d.toString(), "trusted.overlay.opaque"));
    }

    private static int mode(Path p) throws Exception {
        return (int) Files.getAttribute(p, "unix:mode", NOFOLLOW);
    }
}
