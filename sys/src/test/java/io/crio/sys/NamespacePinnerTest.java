package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crio.sys.NamespacePinner.NamespaceKind;
import io.crio.sys.NamespacePinner.PinRequest;
import io.crio.sys.NamespacePinner.PinnedNamespaces;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NamespacePinnerTest {

    private static final Set<NamespaceKind> ALL = EnumSet.allOf(NamespaceKind.class);

    @TempDir
    Path dir;

    private final NamespacePinner pinner = new NamespacePinner();

    private static void assumeRoot() {
        assumeTrue(Libc.geteuid() == 0, "needs root to create namespaces and mount");
    }

    @AfterEach
    void unmountEverythingUnderTheTempDir() throws IOException {
        for (String m : mountsUnder(dir)) {
            MountCalls.umount2IfMounted(m, MountCalls.MNT_DETACH);
        }
    }

    @Test
    void theLoopbackOfANewNetworkNamespaceIsUp() throws Exception {
        assumeRoot();
        PinnedNamespaces pinned = pinner.pin(new PinRequest("pod-lo", dir, java.util.EnumSet.of(NamespaceKind.NET),
                Optional.empty(), Map.of()));
        try {
            String lo = run("nsenter", "--net=" + pinned.path(NamespaceKind.NET).orElseThrow(), "ip", "-o", "addr", "show", "dev", "lo");
            assertTrue(lo.contains("127.0.0.1/8"), lo);
            String link = run("nsenter", "--net=" + pinned.path(NamespaceKind.NET).orElseThrow(), "ip", "-o", "link", "show", "dev", "lo");
            assertTrue(link.contains(",UP") || link.contains("<LOOPBACK,UP"), link);
        } finally {
            pinner.unpinAll(pinned);
        }
    }

    @Test
    void pinsNetIpcAndUtsWithHostnameAndSysctls() throws Exception {
        assumeRoot();
        String hostForward = read("/proc/sys/net/ipv4/ip_forward");
        String hostShmmni = read("/proc/sys/kernel/shmmni");
        String hostName = read("/proc/sys/kernel/hostname");
        Map<String, String> sysctls = new LinkedHashMap<>();
        sysctls.put("net.ipv4.ip_forward", "1");
        sysctls.put("kernel.shmmni", "2048");

        PinnedNamespaces pinned = pinner.pin(new PinRequest("pod-a-id", dir, ALL, Optional.of("pod-a"), sysctls));

        assertEquals(ALL, pinned.paths().keySet());
        for (NamespaceKind k : ALL) {
            Path p = pinned.path(k).orElseThrow();
            assertEquals(dir.resolve(k.dirName()).resolve("pod-a-id").toAbsolutePath(), p);
            assertTrue(MountCalls.isMountPoint(p), p + " is a mount point");
            assertEquals("nsfs", fsType(p), p.toString());
            assertNotEquals(inode(Path.of("/proc/self/ns/" + k.procName())), inode(p), k + " is a new namespace");
            assertFalse(anyTaskOfThisProcessIn(k, inode(p)), "no thread is left in the new " + k + " namespace");
        }
        Path net = pinned.path(NamespaceKind.NET).orElseThrow();
        Path uts = pinned.path(NamespaceKind.UTS).orElseThrow();
        Path ipc = pinned.path(NamespaceKind.IPC).orElseThrow();
        String out = run("nsenter", "--net=" + net, "--uts=" + uts, "--ipc=" + ipc, "sh", "-c",
                "hostname; cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/shmmni");
        assertEquals(List.of("pod-a", "1", "2048"), out.lines().toList());

        assertEquals(hostForward, read("/proc/sys/net/ipv4/ip_forward"));
        assertEquals(hostShmmni, read("/proc/sys/kernel/shmmni"));
        assertEquals(hostName, read("/proc/sys/kernel/hostname"));

        pinner.unpinAll(pinned);
        assertEquals(List.of(), mountsUnder(dir));
    }

    @Test
    void pinsFromAVirtualThreadWithoutMovingIt() throws Exception {
        assumeRoot();
        AtomicReference<Object> before = new AtomicReference<>();
        AtomicReference<Object> after = new AtomicReference<>();
        AtomicReference<PinnedNamespaces> pinned = new AtomicReference<>();
        Thread vt = Thread.ofVirtual().start(() -> {
            try {
                before.set(inode(Path.of("/proc/thread-self/ns/net")));
                pinned.set(pinner.pin(new PinRequest("vt", dir, Set.of(NamespaceKind.NET), Optional.empty(), Map.of())));
                after.set(inode(Path.of("/proc/thread-self/ns/net")));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        vt.join();
        Path net = pinned.get().path(NamespaceKind.NET).orElseThrow();
        assertEquals(before.get(), after.get());
        assertNotEquals(before.get(), inode(net));
        pinner.unpin(net);
    }

    @Test
    void unpinRemovesTheMountAndTheFileAndCanBeRepeated() throws Exception {
        assumeRoot();
        PinnedNamespaces pinned = pinner.pin(new PinRequest("u", dir, ALL, Optional.empty(), Map.of()));
        for (Path p : pinned.paths().values()) {
            pinner.unpin(p);
            assertFalse(MountCalls.isMountPoint(p));
            assertFalse(Files.exists(p));
            pinner.unpin(p);
        }
        pinner.unpin(dir.resolve("never-created"));
        pinner.unpin(dir.resolve("no-such-dir").resolve("x"));
        assertEquals(List.of(), mountsUnder(dir));
    }

    @Test
    void aFailingSysctlLeavesNoFilesAndNoMounts() throws Exception {
        assumeRoot();
        Map<String, String> sysctls = new LinkedHashMap<>();
        sysctls.put("net.ipv4.ip_forward", "1");
        sysctls.put("net.ipv4.does_not_exist", "1");
        NamespaceException e = assertThrows(NamespaceException.class,
                () -> pinner.pin(new PinRequest("bad", dir, ALL, Optional.of("h"), sysctls)));
        assertEquals("write sysctl net.ipv4.does_not_exist=1", e.step());
        assertEquals(FileCalls.ENOENT, e.errno());
        assertTrue(e.getMessage().startsWith("write sysctl net.ipv4.does_not_exist=1: "), e.getMessage());
        assertEquals(List.of(), mountsUnder(dir));
        assertEquals(List.of(), regularFilesUnder(dir));
    }

    @Test
    void aConflictPartWayRemovesWhatWasCreatedBeforeIt() throws Exception {
        assumeRoot();
        Files.createDirectories(dir.resolve("ipcns"));
        Files.createFile(dir.resolve("ipcns").resolve("half"));
        NamespaceException e = assertThrows(NamespaceException.class,
                () -> pinner.pin(new PinRequest("half", dir, ALL, Optional.empty(), Map.of())));
        assertEquals(FileCalls.EEXIST, e.errno());
        assertEquals("create " + dir.resolve("ipcns").resolve("half").toAbsolutePath(), e.step());
        assertEquals(List.of(), mountsUnder(dir));
        assertEquals(List.of(dir.resolve("ipcns").resolve("half")), regularFilesUnder(dir));
    }

    @Test
    void anExistingPinFileFailsThePinAndStaysMounted() throws Exception {
        assumeRoot();
        PinnedNamespaces first = pinner.pin(new PinRequest("dup", dir, Set.of(NamespaceKind.UTS), Optional.of("first"),
                Map.of()));
        Path uts = first.path(NamespaceKind.UTS).orElseThrow();
        Object utsInode = inode(uts);

        NamespaceException e = assertThrows(NamespaceException.class,
                () -> pinner.pin(new PinRequest("dup", dir, ALL, Optional.of("second"), Map.of())));
        assertEquals(FileCalls.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("File exists"), e.getMessage());

        assertTrue(MountCalls.isMountPoint(uts));
        assertEquals(utsInode, inode(uts));
        assertEquals("first", NamespacePinner.runInNamespace(uts, NamespaceKind.UTS,
                () -> read("/proc/sys/kernel/hostname")));
        assertFalse(Files.exists(dir.resolve("netns").resolve("dup")));
        assertFalse(Files.exists(dir.resolve("ipcns").resolve("dup")));
        assertEquals(List.of(uts.toRealPath().toString()), mountsUnder(dir));
        pinner.unpin(uts);
    }

    @Test
    void runsCodeInsideAPinnedNetworkNamespace() throws Exception {
        assumeRoot();
        PinnedNamespaces pinned = pinner.pin(new PinRequest("run", dir, Set.of(NamespaceKind.NET, NamespaceKind.UTS),
                Optional.of("inside"), Map.of("net.ipv4.ip_forward", "1")));
        Path net = pinned.path(NamespaceKind.NET).orElseThrow();
        Object hostNet = inode(Path.of("/proc/thread-self/ns/net"));

        assertEquals("1", NamespacePinner.runInNamespace(net, NamespaceKind.NET,
                () -> read("/proc/sys/net/ipv4/ip_forward")));
        assertEquals(inode(net), NamespacePinner.runInNamespace(net, NamespaceKind.NET,
                () -> inode(Path.of("/proc/thread-self/ns/net"))));
        assertEquals(List.of("1", "inside"), NamespacePinner.runInNamespaces(pinned.paths(),
                () -> List.of(read("/proc/sys/net/ipv4/ip_forward"), read("/proc/sys/kernel/hostname"))));
        assertEquals(hostNet, inode(Path.of("/proc/thread-self/ns/net")));
        assertEquals(read("/proc/sys/net/ipv4/ip_forward"), NamespacePinner.runInNamespace(
                Path.of("/proc/self/ns/net"), NamespaceKind.NET, () -> read("/proc/sys/net/ipv4/ip_forward")));

        IOException thrown = assertThrows(IOException.class,
                () -> NamespacePinner.runInNamespace(net, NamespaceKind.NET, () -> {
                    throw new IOException("from inside");
                }));
        assertEquals("from inside", thrown.getMessage());
        NamespaceException wrongKind = assertThrows(NamespaceException.class,
                () -> NamespacePinner.runInNamespace(net, NamespaceKind.IPC, () -> "no"));
        assertEquals(FileCalls.EINVAL, wrongKind.errno());
        assertThrows(NamespaceException.class,
                () -> NamespacePinner.runInNamespace(dir.resolve("missing"), NamespaceKind.NET, () -> "no"));
        pinner.unpinAll(pinned);
    }

    @Test
    void mountsAndUnmountsATmpfsWithASize() throws Exception {
        assumeRoot();
        Path target = Files.createDirectory(dir.resolve("with space"));
        String t = target.toString();
        MountCalls.mount("tmpfs", t, "tmpfs", MountCalls.MS_NOSUID | MountCalls.MS_NODEV, "size=1m,mode=0700");
        try {
            assertTrue(MountCalls.isMountPoint(target));
            assertEquals("tmpfs", fsType(target));
            assertEquals(1024 * 1024, Files.getFileStore(target).getTotalSpace());
            assertTrue(mountLine(target).orElseThrow().contains("size=1024k"));
            assertTrue(mountLine(target).orElseThrow().contains("nosuid,nodev"));
        } finally {
            MountCalls.umount2(t, 0);
        }
        assertFalse(MountCalls.isMountPoint(target));
        SyscallException e = assertThrows(SyscallException.class, () -> MountCalls.umount2(t, 0));
        assertEquals(MountCalls.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("umount2 " + t), e.getMessage());
        assertFalse(MountCalls.umount2IfMounted(t, 0));
        assertFalse(MountCalls.umount2IfMounted(dir.resolve("absent").toString(), 0));
        SyscallException bad = assertThrows(SyscallException.class,
                () -> MountCalls.mount("tmpfs", t, "no-such-fs-type", 0, null));
        assertTrue(bad.getMessage().startsWith("mount " + t), bad.getMessage());
    }

    @Test
    void kernelsMountRootAttributeAgreesWithTheMountTable() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        Path toProc = Files.createSymbolicLink(dir.resolve("to-proc"), Path.of("/proc"));
        Path toRoot = Files.createSymbolicLink(dir.resolve("to-root"), Path.of("/"));
        List<Path> paths = new ArrayList<>(List.of(Path.of("/"), Path.of("/proc"), Path.of("/sys"), Path.of("/dev"),
                Path.of("/proc/self/fd"), dir, file, file.resolve("below"), dir.resolve("missing/x"),
                toProc, toRoot.resolve("proc")));
        if (Libc.geteuid() == 0) {
            // a bind-mounted file (how namespaces are pinned) is a mount root too
            Path target = Files.writeString(dir.resolve("bound"), "");
            MountCalls.mount(file.toString(), target.toString(), null, MountCalls.MS_BIND, null);
            paths.add(target);
        }
        for (Path p : paths) {
            assertEquals(MountCalls.isMountPointByTable(p), MountCalls.isMountPoint(p), p.toString());
        }
        // the last component is not followed; links in the parents are
        assertFalse(MountCalls.isMountPoint(toProc));
        assertTrue(MountCalls.isMountPoint(toRoot.resolve("proc")));
        assertFalse(MountCalls.isMountPoint(file.resolve("below")));

        int proc = MountCalls.mountRootAttribute("/proc");
        assumeTrue(proc != MountCalls.STATX_UNKNOWN, "this kernel does not report statx's mount-root attribute");
        assertEquals(1, proc);
        assertEquals(0, MountCalls.mountRootAttribute("/proc/self/fd"));
        assertEquals(MountCalls.STATX_MISSING, MountCalls.mountRootAttribute(dir.resolve("missing/x").toString()));
        assertEquals(MountCalls.STATX_MISSING, MountCalls.mountRootAttribute(file.resolve("below").toString()));
    }

    @Test
    void mountPointTestReadsTheMountTable() {
        assertTrue(MountCalls.isMountPointByTable(Path.of("/")));
        assertTrue(MountCalls.isMountPointByTable(Path.of("/proc")));
        assertFalse(MountCalls.isMountPointByTable(Path.of("/proc/self")));
        assertFalse(MountCalls.isMountPointByTable(dir.resolve("missing").resolve("x")));
        byte[] table = ("22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                + "40 27 0:30 / /run/a\\040b\\134c rw - tmpfs tmpfs rw\n"
                + "short line\n").getBytes(StandardCharsets.UTF_8);
        assertTrue(MountCalls.mountinfoHas(table, bytes("/proc")));
        assertTrue(MountCalls.mountinfoHas(table, bytes("/run/a b\\c")));
        assertFalse(MountCalls.mountinfoHas(table, bytes("/run/a\\040b\\134c")));
        assertFalse(MountCalls.mountinfoHas(table, bytes("/run")));
        assertFalse(MountCalls.mountinfoHas(table, bytes("line")));
        assertEquals("/a b\tc\\d", MountCalls.decodeMountPath("/a\\040b\\011c\\134d"));
        assertEquals("/a\\x", MountCalls.decodeMountPath("/a\\x"));
    }

    @Test
    void convertsSysctlKeysAsKubernetesDoes() {
        assertEquals("/proc/sys/net/ipv4/ip_forward", NamespacePinner.sysctlPath("net.ipv4.ip_forward"));
        assertEquals("/proc/sys/net/ipv4/conf/eth0.100/forwarding",
                NamespacePinner.sysctlPath("net/ipv4/conf/eth0.100/forwarding"));
        assertEquals("/proc/sys/net/ipv4/conf/eth0.100/forwarding",
                NamespacePinner.sysctlPath("net.ipv4.conf.eth0/100.forwarding"));
        assertEquals("/proc/sys/kernel/shmmni", NamespacePinner.sysctlPath("kernel.shmmni"));
        for (String bad : List.of("", "net..x", "net/../../etc/passwd", "/net/ipv4", "net.ipv4.", ".", "net/./x")) {
            assertThrows(IllegalArgumentException.class, () -> NamespacePinner.sysctlPath(bad), bad);
        }
        assertEquals(NamespaceKind.NET, NamespacePinner.sysctlKind("net.core.somaxconn"));
        assertEquals(NamespaceKind.IPC, NamespacePinner.sysctlKind("kernel.shmmax"));
        assertEquals(NamespaceKind.IPC, NamespacePinner.sysctlKind("kernel.msgmax"));
        assertEquals(NamespaceKind.IPC, NamespacePinner.sysctlKind("kernel.sem"));
        assertEquals(NamespaceKind.IPC, NamespacePinner.sysctlKind("fs.mqueue.msg_max"));
        assertEquals(NamespaceKind.UTS, NamespacePinner.sysctlKind("kernel.domainname"));
        assertThrows(IllegalArgumentException.class, () -> NamespacePinner.sysctlKind("vm.swappiness"));
        assertThrows(IllegalArgumentException.class, () -> NamespacePinner.sysctlKind("kernel.pid_max"));
    }

    @Test
    void rejectsBadRequestsBeforeDoingAnything() {
        for (String id : List.of("", ".", "..", "a/b", "/x", "a\0b")) {
            assertThrows(IllegalArgumentException.class,
                    () -> new PinRequest(id, dir, ALL, Optional.empty(), Map.of()), id);
        }
        assertThrows(IllegalArgumentException.class, () -> new PinRequest("x", dir, Set.of(NamespaceKind.NET),
                Optional.of("host"), Map.of()));
        IllegalArgumentException hostNet = assertThrows(IllegalArgumentException.class, () -> new PinRequest("x", dir,
                Set.of(NamespaceKind.IPC), Optional.empty(), Map.of("net.ipv4.ip_forward", "1")));
        assertTrue(hostNet.getMessage().contains("net namespace"), hostNet.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PinRequest("x", dir, ALL, Optional.empty(),
                Map.of("vm.swappiness", "1")));
        assertEquals(Map.of(), pinner.pin(new PinRequest("none", dir, Set.of(), Optional.empty(), Map.of())).paths());
        assertEquals(List.of(), List.of(dir.toFile().list()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String read(String path) throws IOException {
        return Files.readString(Path.of(path)).strip();
    }

    private static Object inode(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ino");
    }

    private static boolean anyTaskOfThisProcessIn(NamespaceKind kind, Object inode) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (inode.equals(inode(task.resolve("ns").resolve(kind.procName())))) {
                        return true;
                    }
                } catch (IOException gone) {
                    // the thread ended while being looked at
                }
            }
        }
        return false;
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static List<String[]> mountTable() throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            rows.add(new String[] {MountCalls.decodeMountPath(f[4]), f[dash + 1], line});
        }
        return rows;
    }

    private static String fsType(Path p) throws IOException {
        String want = p.toRealPath().toString();
        String type = null;
        for (String[] row : mountTable()) {
            if (row[0].equals(want)) {
                type = row[1];
            }
        }
        return type;
    }

    private static Optional<String> mountLine(Path p) throws IOException {
        String want = p.toRealPath().toString();
        return mountTable().stream().filter(r -> r[0].equals(want)).map(r -> r[2]).reduce((a, b) -> b);
    }

    private static List<String> mountsUnder(Path d) throws IOException {
        String prefix = d.toRealPath() + "/";
        return mountTable().stream().map(r -> r[0]).filter(m -> m.startsWith(prefix))
                .sorted(Comparator.comparing(String::length).reversed()).toList();
    }

    private static List<Path> regularFilesUnder(Path d) throws IOException {
        try (Stream<Path> all = Files.walk(d)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }
}
