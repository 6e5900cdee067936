package io.crio.storage.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crio.sys.FileCalls;
import io.crio.sys.Libc;
import io.crio.sys.SyscallException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerUnpackerTest {

    static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    @TempDir
    Path base;

    Path diff;

    @BeforeEach
    void setUp() throws IOException {
        diff = Files.createDirectory(base.resolve("diff"));
    }

    static boolean root() {
        return Libc.geteuid() == 0;
    }

    static int mode(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:mode", NOFOLLOW);
    }

    static int perms(Path p) throws IOException {
        return mode(p) & 07777;
    }

    static int type(Path p) throws IOException {
        return mode(p) & FileCalls.S_IFMT;
    }

    static int uid(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:uid", NOFOLLOW);
    }

    static int gid(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:gid", NOFOLLOW);
    }

    static Instant mtime(Path p) throws IOException {
        return Files.getLastModifiedTime(p, NOFOLLOW).toInstant();
    }

    UnpackStats unpack(TarBuilder tar) throws IOException {
        return LayerUnpacker.unpack(tar.stream(), diff);
    }

    @Test
    void writesFilesDirectoriesAndEveryModeBit() throws IOException {
        UnpackStats stats = unpack(new TarBuilder()
                .dir("etc", 0755)
                .file("etc/hosts", "127.0.0.1 localhost\n")
                .file("usr/bin/su", "su".getBytes(StandardCharsets.UTF_8), 04755, e -> { })
                .file("usr/bin/wall", "w".getBytes(StandardCharsets.UTF_8), 02711, e -> { })
                .file("usr/bin/secret", new byte[0], 0400, e -> { })
                .dir("tmp", 01777));

        assertEquals("127.0.0.1 localhost\n", Files.readString(diff.resolve("etc/hosts")));
        assertEquals(0644, perms(diff.resolve("etc/hosts")));
        assertEquals(04755, perms(diff.resolve("usr/bin/su")));
        assertEquals(02711, perms(diff.resolve("usr/bin/wall")));
        assertEquals(0400, perms(diff.resolve("usr/bin/secret")));
        assertEquals(01777, perms(diff.resolve("tmp")));
        assertEquals(0755, perms(diff.resolve("usr")), "directories the layer does not list are 0755");
        assertEquals(FileCalls.S_IFREG, type(diff.resolve("etc/hosts")));
        assertEquals(6, stats.entries());
        assertEquals(20 + 2 + 1, stats.bytes());
    }

    @Test
    void readOnlyDirectoriesDoNotBlockTheirChildren() throws IOException {
        unpack(new TarBuilder()
                .dir("ro", 0555)
                .file("ro/f", "x")
                .dir("ro/sub", 0500)
                .file("ro/sub/g", "y")
                .dir("none", 0));

        assertEquals("x", Files.readString(diff.resolve("ro/f")));
        assertEquals("y", Files.readString(diff.resolve("ro/sub/g")));
        assertEquals(0555, perms(diff.resolve("ro")));
        assertEquals(0500, perms(diff.resolve("ro/sub")));
        assertEquals(0, perms(diff.resolve("none")));
    }

    @Test
    void ownershipIsNumericAndSymlinksAreChownedThemselves() throws IOException {
        assumeTrue(root(), "chown needs root");
        unpack(new TarBuilder()
                .dir("home/app", 0750, e -> { e.setUserId(1234); e.setGroupId(1234); })
                .file("home/app/data", "d".getBytes(StandardCharsets.UTF_8), 0640,
                        e -> { e.setUserId(1234); e.setGroupId(5678); })
                .file("target", "t")
                .symlink("link", "target", e -> { e.setUserId(4321); e.setGroupId(8765); })
                .file("big", "b".getBytes(StandardCharsets.UTF_8), 0644,
                        e -> { e.setUserId(3_000_000_000L); e.setGroupId(2_999_999_999L); }));

        assertEquals(1234, uid(diff.resolve("home/app")));
        assertEquals(1234, gid(diff.resolve("home/app")));
        assertEquals(1234, uid(diff.resolve("home/app/data")));
        assertEquals(5678, gid(diff.resolve("home/app/data")));
        assertEquals(4321, uid(diff.resolve("link")));
        assertEquals(8765, gid(diff.resolve("link")));
        assertEquals(0, uid(diff.resolve("target")), "chowning the link must not touch its target");
        assertEquals((int) 3_000_000_000L, uid(diff.resolve("big")), "ids above 2^31 survive (PAX uid)");
        assertEquals((int) 2_999_999_999L, gid(diff.resolve("big")));
        assertEquals(0750, perms(diff.resolve("home/app")));
    }

    @Test
    void setuidSurvivesTheChownToAnotherOwner() throws IOException {
        assumeTrue(root(), "chown needs root");
        unpack(new TarBuilder().file("bin/ping", "p".getBytes(StandardCharsets.UTF_8), 06755,
                e -> { e.setUserId(1234); e.setGroupId(1234); }));
        assertEquals(06755, perms(diff.resolve("bin/ping")));
        assertEquals(1234, uid(diff.resolve("bin/ping")));
    }

    @Test
    void timesKeepNanosecondsAndSymlinksKeepTheirOwn() throws IOException {
        Instant fileTime = Instant.parse("2001-09-09T01:46:40.123456789Z");
        Instant dirTime = Instant.parse("1999-12-31T23:59:59.5Z");
        Instant linkTime = Instant.parse("2010-05-05T05:05:05.000000700Z");
        Instant access = Instant.parse("2021-01-01T00:00:00.25Z");
        unpack(new TarBuilder()
                .dir("d", 0755, e -> e.setModTime(FileTime.from(dirTime)))
                // commons-compress writes times to 100 ns; Go (and so most image builders) writes all 9 digits
                .rawPax(TarBuilder.records("mtime", "1000000000.123456789", "atime", "1609459200.25"))
                .file("d/f", "x".getBytes(StandardCharsets.UTF_8), 0644, e -> { })
                .symlink("d/l", "f", e -> e.setModTime(FileTime.from(linkTime)))
                .file("d/g", "later"));

        assertEquals(fileTime, mtime(diff.resolve("d/f")));
        assertEquals(access, ((FileTime) Files.getAttribute(diff.resolve("d/f"), "lastAccessTime", NOFOLLOW)).toInstant());
        assertEquals(linkTime, mtime(diff.resolve("d/l")));
        assertEquals(fileTime, mtime(diff.resolve("d/f")), "the link's time went to the link, not to its target");
        assertEquals(dirTime, mtime(diff.resolve("d")), "a directory's time is set after its children are written");
        assertEquals(TarBuilder.DEFAULT_TIME, mtime(diff.resolve("d/g")));
    }

    @Test
    void symlinksKeepTheirTargetsAndAreNeverFollowed() throws IOException {
        unpack(new TarBuilder()
                .symlink("etc/passwd-link", "/etc/passwd")
                .symlink("up", "../../../..")
                .symlink("dangling", "nowhere/at/all"));

        assertEquals("/etc/passwd", Files.readSymbolicLink(diff.resolve("etc/passwd-link")).toString());
        assertEquals("../../../..", Files.readSymbolicLink(diff.resolve("up")).toString());
        assertEquals("nowhere/at/all", Files.readSymbolicLink(diff.resolve("dangling")).toString());
    }

    @Test
    void hardLinksShareTheInodeAndMayLinkASymlink() throws IOException {
        unpack(new TarBuilder()
                .file("bin/a", "same")
                .hardlink("bin/b", "bin/a")
                .hardlink("sbin/c", "/bin/a") // absolute targets are inside the layer too
                .symlink("s", "/etc/shadow")
                .hardlink("s2", "s"));

        Object inode = Files.getAttribute(diff.resolve("bin/a"), "unix:ino", NOFOLLOW);
        assertEquals(inode, Files.getAttribute(diff.resolve("bin/b"), "unix:ino", NOFOLLOW));
        assertEquals(inode, Files.getAttribute(diff.resolve("sbin/c"), "unix:ino", NOFOLLOW));
        assertEquals(3, Files.getAttribute(diff.resolve("bin/a"), "unix:nlink", NOFOLLOW));
        assertTrue(Files.isSymbolicLink(diff.resolve("s2")));
        assertEquals("/etc/shadow", Files.readSymbolicLink(diff.resolve("s2")).toString());
        assertEquals(Files.getAttribute(diff.resolve("s"), "unix:ino", NOFOLLOW),
                Files.getAttribute(diff.resolve("s2"), "unix:ino", NOFOLLOW));
    }

    @Test
    void hardLinkToAMissingTargetFails() {
        IOException e = assertThrows(IOException.class, () -> unpack(new TarBuilder().hardlink("b", "missing")));
        assertTrue(e.getMessage().contains("\"b\""), e.getMessage());
    }

    @Test
    void fifosAndDeviceNodes() throws IOException {
        assumeTrue(root(), "mknod needs CAP_MKNOD");
        unpack(new TarBuilder()
                .node("run/fifo", TarConstants.LF_FIFO, 0620, 0, 0)
                .node("dev/null", TarConstants.LF_CHR, 0666, 1, 3)
                .node("dev/loop0", TarConstants.LF_BLK, 0660, 7, 0)
                .node("dev/big", TarConstants.LF_CHR, 0600, 4095, 300));

        assertEquals(FileCalls.S_IFIFO, type(diff.resolve("run/fifo")));
        assertEquals(0620, perms(diff.resolve("run/fifo")));
        assertEquals(FileCalls.S_IFCHR, type(diff.resolve("dev/null")));
        assertEquals(0666, perms(diff.resolve("dev/null")));
        assertEquals(FileCalls.makedev(1, 3), rdev(diff.resolve("dev/null")));
        assertEquals(FileCalls.S_IFBLK, type(diff.resolve("dev/loop0")));
        assertEquals(FileCalls.makedev(7, 0), rdev(diff.resolve("dev/loop0")));
        assertEquals(FileCalls.makedev(4095, 300), rdev(diff.resolve("dev/big")));
    }

    static long rdev(Path p) throws IOException {
        return (long) Files.getAttribute(p, "unix:rdev", NOFOLLOW);
    }

    @Test
    void binaryCapabilityXattrIsKeptByteForByte() throws IOException {
        assumeTrue(root(), "security.capability needs CAP_SETFCAP");
        // VFS_CAP_REVISION_2 | effective, permitted = CAP_SETUID (bit 7: a 0x80 byte, not valid UTF-8) | CAP_NET_RAW
        byte[] cap = {0x01, 0x00, 0x00, 0x02, (byte) 0x80, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        unpack(new TarBuilder()
                .rawPax(TarBuilder.records("SCHILY.xattr.security.capability", cap, "SCHILY.xattr.user.note", "héllo"))
                .file("bin/tool", "t".getBytes(StandardCharsets.UTF_8), 0755, e -> { e.setUserId(1234); }));

        Path tool = diff.resolve("bin/tool");
        assertArrayEquals(cap, FileCalls.lgetxattr(tool.toString(), "security.capability"),
                "set after the chown, which would clear it");
        assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), FileCalls.lgetxattr(tool.toString(), "user.note"));
        assertEquals(0755, perms(tool));
    }

    @Test
    void xattrsFromCommonsPaxHeadersOnFilesAndDirectories() throws IOException {
        unpack(new TarBuilder()
                .dir("d", 0755, e -> e.addPaxHeader("SCHILY.xattr.user.dir", "on-dir"))
                .file("d/f", "x".getBytes(StandardCharsets.UTF_8), 0644,
                        e -> e.addPaxHeader("SCHILY.xattr.user.file", "on-file")));
        assertArrayEquals("on-dir".getBytes(StandardCharsets.UTF_8),
                FileCalls.lgetxattr(diff.resolve("d").toString(), "user.dir"));
        assertArrayEquals("on-file".getBytes(StandardCharsets.UTF_8),
                FileCalls.lgetxattr(diff.resolve("d/f").toString(), "user.file"));
    }

    @Test
    void overlayXattrsInHeadersAreIgnored() throws IOException {
        assumeTrue(root(), "trusted.* needs root");
        unpack(new TarBuilder()
                .dir("d", 0755, e -> {
                    e.addPaxHeader("SCHILY.xattr.trusted.overlay.redirect", "/elsewhere");
                    e.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y");
                }));
        assertXattrMissing(diff.resolve("d"), "trusted.overlay.redirect");
        assertXattrMissing(diff.resolve("d"), "trusted.overlay.opaque");
    }

    static void assertXattrMissing(Path p, String name) {
        SyscallException e = assertThrows(SyscallException.class, () -> FileCalls.lgetxattr(p.toString(), name));
        assertEquals(FileCalls.ENODATA, e.errno());
    }

    @Test
    void whiteoutsBecomeCharDevice00AndRemoveWhatTheyHide() throws IOException {
        assumeTrue(root(), "whiteouts are device nodes");
        unpack(new TarBuilder()
                .file("a/gone", "earlier in this layer")
                .file("a/tree/deep/file", "x")
                .whiteout("a/.wh.gone")
                .whiteout("a/.wh.tree")
                .whiteout("b/.wh.never-existed")
                .whiteout(".wh.top"));

        for (String p : new String[] {"a/gone", "a/tree", "b/never-existed", "top"}) {
            Path w = diff.resolve(p);
            assertEquals(FileCalls.S_IFCHR, type(w), p);
            assertEquals(0L, rdev(w), p);
        }
        assertFalse(Files.exists(diff.resolve("a/.wh.gone"), NOFOLLOW), "the .wh. file itself is not created");
        assertFalse(Files.exists(diff.resolve(".wh.top"), NOFOLLOW));
    }

    @Test
    void opaqueMarkerSetsTheOverlayXattrOnItsDirectory() throws IOException {
        assumeTrue(root(), "trusted.* needs root");
        unpack(new TarBuilder()
                .dir("o", 0711)
                .whiteout("o/.wh..wh..opq")
                .file("o/kept", "k")
                .whiteout("implicit/.wh..wh..opq")
                .whiteout(".wh..wh..opq"));

        assertArrayEquals(new byte[] {'y'}, FileCalls.lgetxattr(diff.resolve("o").toString(), "trusted.overlay.opaque"));
        assertArrayEquals(new byte[] {'y'},
                FileCalls.lgetxattr(diff.resolve("implicit").toString(), "trusted.overlay.opaque"));
        assertArrayEquals(new byte[] {'y'}, FileCalls.lgetxattr(diff.toString(), "trusted.overlay.opaque"));
        assertFalse(Files.exists(diff.resolve("o/.wh..wh..opq"), NOFOLLOW));
        assertFalse(Files.exists(diff.resolve(".wh..wh..opq"), NOFOLLOW));
        assertEquals("k", Files.readString(diff.resolve("o/kept")));
        assertEquals(0711, perms(diff.resolve("o")));
    }

    @Test
    void aufsMetadataIsSkipped() throws IOException {
        unpack(new TarBuilder()
                .dir(".wh..wh.plnk", 0700)
                .file(".wh..wh.plnk/1234.5678", "aufs")
                .file(".wh..wh.aufs", "")
                .whiteout(".wh..wh.plnk/.wh..wh..opq")
                .whiteout(".wh..wh.orph/.wh.x"));
        try (var list = Files.list(diff)) {
            assertEquals(0, list.count());
        }
    }

    @Test
    void laterEntriesReplaceEarlierOnesLikeTar() throws IOException {
        unpack(new TarBuilder()
                .file("x", "file first")
                .dir("x", 0700)
                .file("x/child", "c")
                .dir("y", 0755)
                .file("y/child", "c")
                .dir("y/sub", 0755)
                .file("y", "file now")
                .symlink("z", "/tmp")
                .dir("z", 0750)
                .file("m", "old")
                .file("m", "new")
                .dir("n", 0700)
                .dir("n", 0755));

        assertTrue(Files.isDirectory(diff.resolve("x"), NOFOLLOW));
        assertEquals(0700, perms(diff.resolve("x")));
        assertEquals("c", Files.readString(diff.resolve("x/child")));
        assertEquals("file now", Files.readString(diff.resolve("y")));
        assertTrue(Files.isRegularFile(diff.resolve("y"), NOFOLLOW));
        assertTrue(Files.isDirectory(diff.resolve("z"), NOFOLLOW), "the symlink was replaced, not followed");
        assertEquals(0750, perms(diff.resolve("z")));
        assertEquals("new", Files.readString(diff.resolve("m")));
        assertEquals(0755, perms(diff.resolve("n")), "the last header of a directory wins");
    }

    @Test
    void longNamesViaPaxAndGnu() throws IOException {
        String longDir = "a".repeat(120) + "/" + "b".repeat(120);
        String longName = longDir + "/" + "c".repeat(200);
        String longTarget = "/" + "t".repeat(150) + "/" + "u".repeat(150);
        unpack(new TarBuilder()
                .file(longName, "pax")
                .symlink("pax-link", longTarget)
                .hardlink("pax-hard", longName));
        assertEquals("pax", Files.readString(diff.resolve(longName)));
        assertEquals(longTarget, Files.readSymbolicLink(diff.resolve("pax-link")).toString());
        assertEquals("pax", Files.readString(diff.resolve("pax-hard")));

        Path gnu = Files.createDirectory(base.resolve("gnu"));
        LayerUnpacker.unpack(new TarBuilder(TarArchiveOutputStream.LONGFILE_GNU)
                .file(longName, "gnu")
                .symlink("gnu-link", longTarget)
                .stream(), gnu);
        assertEquals("gnu", Files.readString(gnu.resolve(longName)));
        assertEquals(longTarget, Files.readSymbolicLink(gnu.resolve("gnu-link")).toString());
    }

    @Test
    void nonAsciiNames() throws IOException {
        unpack(new TarBuilder().file("données/日本語.txt", "ü"));
        assertEquals("ü", Files.readString(diff.resolve("données/日本語.txt")));
    }

    @Test
    void rootDirectoryEntryAppliesToTheLayerDirectory() throws IOException {
        Instant t = Instant.parse("2015-06-07T08:09:10Z");
        unpack(new TarBuilder()
                .dir("./", 0751, e -> e.setModTime(FileTime.from(t)))
                .file("./f", "x"));
        assertEquals(0751, perms(diff));
        assertEquals(t, mtime(diff));
        assertEquals("x", Files.readString(diff.resolve("f")));
    }

    @Test
    void createsTheLayerDirectoryWhenMissing() throws IOException {
        Path fresh = base.resolve("not/yet");
        LayerUnpacker.unpack(new TarBuilder().file("f", "x").stream(), fresh);
        assertEquals("x", Files.readString(fresh.resolve("f")));
    }

    @Test
    void emptyArchiveIsAnEmptyLayer() throws IOException {
        UnpackStats stats = unpack(new TarBuilder());
        assertEquals(new UnpackStats(0, 0), stats);
    }

    @Test
    void readsTheStreamToItsEndWithoutClosingIt() throws IOException {
        byte[] tar = new TarBuilder().file("f", "x").build();
        byte[] padded = Arrays.copyOf(tar, tar.length + 100_000); // trailing zeros, as some writers pad
        CountingStream in = new CountingStream(new ByteArrayInputStream(padded));
        LayerUnpacker.unpack(in, diff);
        assertEquals(padded.length, in.count);
        assertFalse(in.closed);
    }

    @Test
    void truncatedArchiveFails() {
        byte[] tar = new TarBuilder().file("f", "y".repeat(5000)).build();
        byte[] cut = Arrays.copyOf(tar, 512 + 2048);
        assertThrows(IOException.class, () -> LayerUnpacker.unpack(new ByteArrayInputStream(cut), diff));
    }

    @Test
    void unsupportedEntryTypeFails() {
        TarArchiveEntry volume = TarBuilder.entry("label", (byte) 'V'); // GNU volume header
        IOException e = assertThrows(IOException.class,
                () -> unpack(new TarBuilder().put(volume, new byte[0])));
        assertTrue(e.getMessage().contains("unsupported tar entry type 'V'"), e.getMessage());
    }

    @Test
    void fiftyMegabyteFileIsStreamed() throws IOException {
        long size = 50L * 1024 * 1024;
        Path tarFile = base.resolve("big.tar");
        CRC32 expected = new CRC32();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tarFile));
             TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
            TarArchiveEntry e = TarBuilder.entry("big.bin", TarConstants.LF_NORMAL);
            e.setSize(size);
            e.setMode(0644);
            out.putArchiveEntry(e);
            byte[] chunk = new byte[64 * 1024];
            for (long written = 0; written < size; written += chunk.length) {
                for (int i = 0; i < chunk.length; i++) {
                    chunk[i] = (byte) ((written + i) * 31 >>> 3);
                }
                out.write(chunk);
                expected.update(chunk);
            }
            out.closeArchiveEntry();
        }
        UnpackStats stats;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(tarFile))) {
            stats = LayerUnpacker.unpack(in, diff);
        }
        assertEquals(size, stats.bytes());
        Path big = diff.resolve("big.bin");
        assertEquals(size, Files.size(big));
        CRC32 actual = new CRC32();
        try (InputStream in = Files.newInputStream(big)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                actual.update(buf, 0, n);
            }
        }
        assertEquals(expected.getValue(), actual.getValue());
        assertNotEquals(0, expected.getValue());
    }

    static final class CountingStream extends FilterInputStream {
        long count;
        boolean closed;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }
    }
}
