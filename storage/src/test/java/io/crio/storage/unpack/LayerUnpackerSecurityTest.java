package io.crio.storage.unpack;

import static io.crio.storage.unpack.LayerUnpackerTest.NOFOLLOW;
import static io.crio.storage.unpack.LayerUnpackerTest.assertXattrMissing;
import static io.crio.storage.unpack.LayerUnpackerTest.root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted layers that try to reach outside the layer directory. Each points at a "host" directory next to
 * the layer directory, and every test checks afterwards that the host tree is exactly as it was.
 */
class LayerUnpackerSecurityTest {

    @TempDir
    Path base;

    Path diff;
    Path host;
    private Map<String, String> hostBefore;

    @BeforeEach
    void setUp() throws IOException {
        diff = Files.createDirectory(base.resolve("diff"));
        host = Files.createDirectory(base.resolve("host"));
        Files.writeString(host.resolve("secret"), "do not touch");
        Files.createDirectory(host.resolve("sub"));
        Files.writeString(host.resolve("sub/passwd"), "root:x:0:0");
        Files.setLastModifiedTime(host, FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));
        hostBefore = snapshot(host);
    }

    @AfterEach
    void hostIsUntouched() throws IOException {
        assertEquals(hostBefore, snapshot(host), "the host directory changed");
    }

    /** Every file below {@code dir} (and {@code dir} itself): type, mode, owner, links, size, mtime, content. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,nlink,size,lastModifiedTime,ino",
                        NOFOLLOW);
                String content = Files.isRegularFile(p, NOFOLLOW) ? sha256(Files.readAllBytes(p))
                        : Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : "";
                m.put(dir.relativize(p).toString(), new TreeMap<>(a) + " " + content);
            }
        }
        return m;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private UnsafeLayerException assertUnsafe(TarBuilder tar, String entry) {
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> LayerUnpacker.unpack(tar.stream(), diff));
        assertEquals(entry, e.entry());
        assertTrue(e.getMessage().contains(entry.replace("\0", "\\0")), e.getMessage());
        return e;
    }

    /** The relative way from the layer root to the host directory. */
    private static final String UP_TO_HOST = "../host";

    // --- names -------------------------------------------------------------------------------------------

    @Test
    void dotDotOutOfTheLayerIsRefused() {
        UnsafeLayerException e = assertUnsafe(new TarBuilder().file("../host/evil", "x"), "../host/evil");
        assertTrue(e.problem().contains("'..'"), e.problem());
        assertUnsafe(new TarBuilder().file("a/../../host/evil", "x"), "a/../../host/evil");
        assertUnsafe(new TarBuilder().dir("../host/newdir", 0777), "../host/newdir/");
        assertUnsafe(new TarBuilder().file("/../host/evil", "x"), "/../host/evil");
    }

    @Test
    void dotDotThatStaysInsideIsApplied() throws IOException {
        LayerUnpacker.unpack(new TarBuilder().file("a/../b", "fine").file("./c/./d", "ok").stream(), diff);
        assertEquals("fine", Files.readString(diff.resolve("b")));
        assertEquals("ok", Files.readString(diff.resolve("c/d")));
        assertFalse(Files.exists(diff.resolve("a")), "'a' is only passed through lexically");
    }

    @Test
    void absoluteNamesLandInsideTheLayer() throws IOException {
        String absoluteHostFile = host.resolve("secret").toString();
        LayerUnpacker.unpack(new TarBuilder().file(absoluteHostFile, "inside").file("//etc//x", "y").stream(), diff);
        assertEquals("inside", Files.readString(diff.resolve(absoluteHostFile.substring(1))));
        assertEquals("y", Files.readString(diff.resolve("etc/x")));
    }

    @Test
    void nulInANameIsRefused() {
        UnsafeLayerException e = assertUnsafe(new TarBuilder()
                .rawPax(TarBuilder.records("path", "ok\0/../../host/evil"))
                .file("placeholder", "x"), "ok\0/../../host/evil");
        assertTrue(e.problem().contains("NUL"), e.problem());
    }

    @Test
    void emptyNamesAreRefused() {
        UnsafeLayerException e = assertUnsafe(new TarBuilder().file("./", new byte[0], 0644, x -> { }), "./");
        assertTrue(e.problem().contains("empty"), e.problem());
        assertUnsafe(new TarBuilder().file("/", new byte[0], 0644, x -> { }), "/");
        assertUnsafe(new TarBuilder().symlink(".", host.toString()), ".");
        assertUnsafe(new TarBuilder().symlink("a/..", host.toString()), "a/..");
        TarArchiveEntry noName = TarBuilder.entry("", TarConstants.LF_NORMAL);
        assertThrows(IOException.class, () -> LayerUnpacker.unpack(new TarBuilder().put(noName, new byte[0]).stream(), diff));
    }

    // --- symbolic links planted by earlier entries ------------------------------------------------------

    @Test
    void fileThroughAbsoluteSymlinkIsRefused() {
        UnsafeLayerException e = assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .file("evil/passwd", "pwned"), "evil/passwd");
        assertTrue(e.problem().contains("symbolic link"), e.problem());
        assertFalse(Files.exists(host.resolve("passwd")));
    }

    @Test
    void fileThroughRelativeSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .symlink("evil", UP_TO_HOST)
                .file("evil/sub/passwd", "pwned"), "evil/sub/passwd");
        assertUnsafe(new TarBuilder()
                .symlink("evil", "../../../../../../../../..")
                .file("evil" + host + "/secret", "pwned"), "evil" + host + "/secret");
    }

    @Test
    void symlinkDeeperInThePathIsRefused() {
        assertUnsafe(new TarBuilder()
                .dir("a", 0755)
                .symlink("a/b", host.toString())
                .file("a/b/c/d", "pwned"), "a/b/c/d");
        assertFalse(Files.exists(host.resolve("c")), "no missing directory was created through the link");
    }

    @Test
    void directoryThroughSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .dir("evil/newdir", 0777), "evil/newdir/");
    }

    @Test
    void symlinkThroughSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .symlink("evil/link", "/etc/shadow"), "evil/link");
    }

    @Test
    void directoryReplacedBySymlinkIsNotWrittenThrough() {
        // The walker caches descriptors of directories it walked; the replaced one must not be reused.
        assertUnsafe(new TarBuilder()
                .dir("a", 0755)
                .file("a/f", "x")
                .symlink("a", host.toString())
                .file("a/g", "pwned"), "a/g");
        assertFalse(Files.exists(host.resolve("g")));
    }

    @Test
    void fileOverASymlinkReplacesTheLinkNotItsTarget() throws IOException {
        LayerUnpacker.unpack(new TarBuilder()
                .symlink("evil", host.resolve("secret").toString())
                .file("evil", "replaced")
                .symlink("evil2", UP_TO_HOST + "/secret")
                .hardlink("evil2", "evil")
                .stream(), diff);
        assertEquals("replaced", Files.readString(diff.resolve("evil")));
        assertFalse(Files.isSymbolicLink(diff.resolve("evil")));
        assertEquals("replaced", Files.readString(diff.resolve("evil2")));
    }

    @Test
    void directoryOverASymlinkReplacesTheLink() throws IOException {
        LayerUnpacker.unpack(new TarBuilder()
                .symlink("evil", host.toString())
                .dir("evil", 0777, e -> e.setModTime(FileTime.from(Instant.parse("2030-01-01T00:00:00Z"))))
                .file("evil/inside", "x")
                .stream(), diff);
        assertTrue(Files.isDirectory(diff.resolve("evil"), NOFOLLOW));
        assertEquals(0777, LayerUnpackerTest.perms(diff.resolve("evil")));
        assertEquals("x", Files.readString(diff.resolve("evil/inside")));
    }

    @Test
    void deferredDirectoryMetadataIsNotAppliedThroughALaterSymlink() throws IOException {
        assumeTrue(root(), "chown needs root");
        LayerUnpacker.unpack(new TarBuilder()
                .dir("d", 0777, e -> { e.setUserId(1234); e.setModTime(FileTime.from(Instant.EPOCH)); })
                .symlink("d", host.toString())
                .stream(), diff);
        assertTrue(Files.isSymbolicLink(diff.resolve("d")));
        // hostIsUntouched() checks the host directory's mode, owner and mtime
    }

    @Test
    void symlinkMetadataNeverReachesItsTarget() throws IOException {
        assumeTrue(root(), "chown needs root");
        LayerUnpacker.unpack(new TarBuilder()
                .symlink("l", host.resolve("secret").toString(), e -> {
                    e.setUserId(1234);
                    e.setModTime(FileTime.from(Instant.EPOCH));
                    e.addPaxHeader("SCHILY.xattr.trusted.test", "x");
                })
                .stream(), diff);
        assertEquals(1234, LayerUnpackerTest.uid(diff.resolve("l")));
        assertXattrMissing(host.resolve("secret"), "trusted.test");
    }

    // --- hard links ---------------------------------------------------------------------------------------

    @Test
    void hardLinkOutOfTheLayerIsRefused() {
        UnsafeLayerException e = assertUnsafe(new TarBuilder().hardlink("stolen", "../host/secret"), "stolen");
        assertTrue(e.problem().contains("hard link target"), e.problem());
        assertUnsafe(new TarBuilder().hardlink("stolen", "a/../../host/secret"), "stolen");
    }

    @Test
    void absoluteHardLinkTargetMeansInsideTheLayer() {
        // "/…/host/secret" is looked up inside the layer, where it does not exist.
        IOException e = assertThrows(IOException.class, () -> LayerUnpacker.unpack(new TarBuilder()
                .hardlink("stolen", host.resolve("secret").toString()).stream(), diff));
        assertFalse(e instanceof UnsafeLayerException, e.getMessage());
        assertFalse(Files.exists(diff.resolve("stolen"), NOFOLLOW));
    }

    @Test
    void hardLinkThroughSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .hardlink("stolen", "evil/secret"), "stolen");
        assertUnsafe(new TarBuilder()
                .symlink("evil", UP_TO_HOST)
                .hardlink("stolen", "evil/sub/passwd"), "stolen");
        assertFalse(Files.exists(diff.resolve("stolen"), NOFOLLOW));
    }

    @Test
    void hardLinkToAnOutwardSymlinkLinksTheSymlinkItself() throws IOException {
        LayerUnpacker.unpack(new TarBuilder()
                .symlink("s", host.resolve("secret").toString())
                .hardlink("h", "s")
                .stream(), diff);
        assertTrue(Files.isSymbolicLink(diff.resolve("h")));
        // the host file's link count (in the snapshot) is still 1
    }

    @Test
    void hardLinkWhoseNameGoesThroughSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .file("inside", "x")
                .symlink("evil", host.toString())
                .hardlink("evil/planted", "inside"), "evil/planted");
    }

    // --- whiteouts and devices ----------------------------------------------------------------------------

    @Test
    void whiteoutThroughSymlinkIsRefused() {
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .whiteout("evil/.wh.secret"), "evil/.wh.secret");
    }

    @Test
    void opaqueMarkerThroughSymlinkIsRefused() {
        assumeTrue(root(), "trusted.* needs root");
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .whiteout("evil/.wh..wh..opq"), "evil/.wh..wh..opq");
        assertXattrMissing(host, "trusted.overlay.opaque");
    }

    @Test
    void whiteoutOfDotDotIsRefused() {
        assertUnsafe(new TarBuilder().whiteout("a/.wh.."), "a/.wh..");
        assertUnsafe(new TarBuilder().whiteout(".wh."), ".wh.");
    }

    @Test
    void whiteoutOfASymlinkRemovesTheLinkOnly() throws IOException {
        assumeTrue(root(), "whiteouts are device nodes");
        LayerUnpacker.unpack(new TarBuilder()
                .symlink("tree", host.toString())
                .whiteout(".wh.tree")
                .stream(), diff);
        assertEquals(0L, LayerUnpackerTest.rdev(diff.resolve("tree")));
    }

    @Test
    void devicesOutsideOrThroughSymlinksAreRefused() {
        assertUnsafe(new TarBuilder().node("../host/null", TarConstants.LF_CHR, 0666, 1, 3), "../host/null");
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .node("evil/sda", TarConstants.LF_BLK, 0666, 8, 0), "evil/sda");
        assertUnsafe(new TarBuilder()
                .symlink("evil", host.toString())
                .node("evil/fifo", TarConstants.LF_FIFO, 0666, 0, 0), "evil/fifo");
    }

    @Test
    void devicesInsideAreAllowed() throws IOException {
        assumeTrue(root(), "mknod needs CAP_MKNOD");
        LayerUnpacker.unpack(new TarBuilder().node("/dev/sda", TarConstants.LF_BLK, 0660, 8, 0).stream(), diff);
        assertEquals(io.crio.sys.FileCalls.makedev(8, 0), LayerUnpackerTest.rdev(diff.resolve("dev/sda")));
    }

    // --- sizes --------------------------------------------------------------------------------------------

    @Test
    void sizeLargerThanTheDataFails() {
        byte[] tar = new TarBuilder().file("f", "short").build();
        // Claim 1 MiB of content in a PAX size record; the archive ends long before that.
        byte[] lying = new TarBuilder()
                .rawPax(TarBuilder.records("size", "1048576"))
                .file("f", "short")
                .build();
        assertThrows(IOException.class, () -> LayerUnpacker.unpack(new ByteArrayInputStream(lying), diff));
        assertTrue(tar.length < 1048576);
    }

    @Test
    void binaryContentIsNotTreatedAsText() throws IOException {
        byte[] data = new byte[256];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        LayerUnpacker.unpack(new TarBuilder().file("bin", data, 0644, e -> { }).stream(), diff);
        assertEquals(sha256(data), sha256(Files.readAllBytes(diff.resolve("bin"))));
        assertEquals(StandardCharsets.ISO_8859_1.decode(java.nio.ByteBuffer.wrap(data)).toString(),
                Files.readString(diff.resolve("bin"), StandardCharsets.ISO_8859_1));
    }
}
