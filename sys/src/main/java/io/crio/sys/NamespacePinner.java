package io.crio.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Creates a pod sandbox's network, IPC and UTS namespaces and keeps them alive without any process in them,
 * as CRI-O's {@code pinns} helper does, but in this process.
 *
 * <p>{@link #pin} starts a new platform thread which unshares the requested namespaces, sets the hostname
 * and the sysctls inside them, and bind-mounts each of its {@code /proc/thread-self/ns/*} files onto an empty
 * file {@code <namespacesDir>/<netns|ipcns|utsns>/<id>}. The thread then returns to the namespaces it started
 * in and ends, so the bind mounts are the only references left: {@link #unpin} unmounts one and the kernel
 * frees the namespace once nothing else (a container process, an open descriptor) holds it.
 *
 * <p>The work runs on its own kernel task because namespaces belong to a task, not to the process: the
 * calling thread, which may be a virtual thread on a shared carrier, never changes namespace. The worker goes
 * back to its original namespaces before it ends or signals completion, so a thread the JVM might start from
 * it (a carrier thread woken by the join, say) is never born inside a pod's namespaces.
 */
public final class NamespacePinner {

    /** The kinds of namespace a pod sandbox can have of its own. */
    public enum NamespaceKind {
        NET("net", "netns", NamespaceCalls.CLONE_NEWNET),
        IPC("ipc", "ipcns", NamespaceCalls.CLONE_NEWIPC),
        UTS("uts", "utsns", NamespaceCalls.CLONE_NEWUTS);

        private final String procName;
        private final String dirName;
        private final int cloneFlag;

        NamespaceKind(String procName, String dirName, int cloneFlag) {
            this.procName = procName;
            this.dirName = dirName;
            this.cloneFlag = cloneFlag;
        }

        /** The name under {@code /proc/<pid>/ns/}. */
        public String procName() {
            return procName;
        }

        /** The directory under the namespaces directory that holds the pinned files of this kind. */
        public String dirName() {
            return dirName;
        }

        /** The {@code CLONE_NEW*} flag of this kind. */
        public int cloneFlag() {
            return cloneFlag;
        }
    }

    /**
     * What to pin: new namespaces of {@code kinds}, pinned as {@code <namespacesDir>/<kind dir>/<id>}, with
     * {@code hostname} set (only with {@link NamespaceKind#UTS}) and {@code sysctls} written, in iteration
     * order, inside them.
     *
     * <p>Sysctl keys may be written with dots ({@code net.ipv4.ip_forward}) or slashes ({@code
     * net/ipv4/conf/eth0.100/forwarding}) the way Kubernetes accepts them. Each must be one the kernel keeps
     * per namespace, and its namespace must be among {@code kinds}: writing it would otherwise change the
     * host.
     *
     * @throws IllegalArgumentException for an id that is empty, {@code .}, {@code ..} or holds a {@code /}; a
     *     hostname without UTS; a sysctl key that is malformed, not namespaced, or of a kind not pinned
     */
    public record PinRequest(String id, Path namespacesDir, Set<NamespaceKind> kinds, Optional<String> hostname,
                             Map<String, String> sysctls) {

        public PinRequest {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(namespacesDir, "namespacesDir");
            Objects.requireNonNull(kinds, "kinds");
            Objects.requireNonNull(hostname, "hostname");
            Objects.requireNonNull(sysctls, "sysctls");
            if (id.isEmpty() || id.equals(".") || id.equals("..") || id.indexOf('/') >= 0 || id.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid namespace pin id " + quote(id));
            }
            kinds = kinds.isEmpty()
                    ? Collections.unmodifiableSet(EnumSet.noneOf(NamespaceKind.class))
                    : Collections.unmodifiableSet(EnumSet.copyOf(kinds));
            if (hostname.isPresent() && !kinds.contains(NamespaceKind.UTS)) {
                throw new IllegalArgumentException("a hostname needs a new UTS namespace, which is not requested");
            }
            if (hostname.isPresent() && hostname.get().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid hostname " + quote(hostname.get()));
            }
            LinkedHashMap<String, String> copy = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : sysctls.entrySet()) {
                String key = Objects.requireNonNull(e.getKey(), "sysctl key");
                String value = Objects.requireNonNull(e.getValue(), "sysctl value of " + key);
                NamespaceKind needs = sysctlKind(key);
                if (!kinds.contains(needs)) {
                    throw new IllegalArgumentException("sysctl " + key + " belongs to the "
                            + needs.procName() + " namespace, which is not requested: it would change the host's");
                }
                if (value.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("invalid value for sysctl " + key);
                }
                copy.put(key, value);
            }
            sysctls = Collections.unmodifiableMap(copy);
        }
    }

    /** The pinned namespace files by kind. */
    public record PinnedNamespaces(Map<NamespaceKind, Path> paths) {

        public PinnedNamespaces {
            EnumMap<NamespaceKind, Path> copy = new EnumMap<>(NamespaceKind.class);
            copy.putAll(paths);
            paths = Collections.unmodifiableMap(copy);
        }

        public Optional<Path> path(NamespaceKind kind) {
            return Optional.ofNullable(paths.get(kind));
        }
    }

    private static final String THREAD_NS = "/proc/thread-self/ns/";
    private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));
    private static final int PIN_FILE_MODE = 0444;

    /**
     * Creates the namespaces of {@code request} and pins them. On failure nothing it created is left behind
     * (directories excepted, which other pins share) and no existing file is touched.
     *
     * @throws NamespaceException naming the step that failed, such as {@code "write sysctl
     *     net.ipv4.ip_forward=1: Permission denied"} or {@code "create /run/netns/x: File exists"}
     */
    public PinnedNamespaces pin(PinRequest request) {
        if (request.kinds().isEmpty()) {
            return new PinnedNamespaces(Map.of());
        }
        Path dir = request.namespacesDir().toAbsolutePath();
        try {
            return onNewThread("pin namespaces " + request.id(), () -> pinOnThisThread(request, dir));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("pin namespaces " + request.id(), e);
        }
    }

    /**
     * Unmounts a pinned namespace file and removes it. A file that is not mounted, or is gone, is fine: calling
     * this again is harmless.
     *
     * @throws NamespaceException when the unmount or the removal fails for another reason
     */
    public void unpin(Path path) {
        String p = path.toString();
        try {
            for (int i = 0; i < 64 && MountCalls.umount2IfMounted(p, MountCalls.MNT_DETACH | MountCalls.UMOUNT_NOFOLLOW);
                 i++) {
                // a file bind-mounted more than once is unmounted layer by layer
            }
        } catch (SyscallException e) {
            throw new NamespaceException("unmount " + p, e);
        }
        try {
            FileCalls.unlinkatIfExists(FileCalls.AT_FDCWD, p, 0);
        } catch (SyscallException e) {
            throw new NamespaceException("remove " + p, e);
        }
    }

    /** {@link #unpin}s every file of {@code pinned}; the first failure is thrown after all were tried. */
    public void unpinAll(PinnedNamespaces pinned) {
        RuntimeException failure = null;
        for (Path p : pinned.paths().values()) {
            try {
                unpin(p);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Runs {@code task} on a new platform thread that has entered the namespace pinned at {@code nsPath}
     * (any namespace file of {@code kind} will do, {@code /proc/<pid>/ns/net} too), and returns its result.
     * The calling thread waits for it; if interrupted it passes the interrupt on and keeps waiting, then
     * returns with its interrupt status set.
     *
     * <p>Only the new thread is in the namespace: {@code task} must do its work there, not hand it to other
     * threads (executors, virtual threads, {@code CompletableFuture.*Async}), and should not start threads
     * that outlive it, since a thread starts in its creator's namespaces.
     *
     * @throws NamespaceException when the namespace cannot be entered (or left again)
     * @throws Exception whatever {@code task} throws, as it threw it
     */
    public static <T> T runInNamespace(Path nsPath, NamespaceKind kind, Callable<T> task) throws Exception {
        return runInNamespaces(Map.of(kind, nsPath), task);
    }

    /** {@link #runInNamespace} entering several namespaces at once, one file for each kind. */
    public static <T> T runInNamespaces(Map<NamespaceKind, Path> namespaces, Callable<T> task) throws Exception {
        Objects.requireNonNull(task, "task");
        EnumMap<NamespaceKind, Path> targets = new EnumMap<>(NamespaceKind.class);
        targets.putAll(namespaces);
        return onNewThread("run in namespaces", () -> {
            HostNamespaces host = HostNamespaces.open(targets.keySet());
            Throwable failure = null;
            T result = null;
            try {
                for (Map.Entry<NamespaceKind, Path> e : targets.entrySet()) {
                    enter(e.getKey(), e.getValue().toString());
                }
                result = task.call();
            } catch (Throwable t) {
                failure = t;
            }
            failure = host.restore(failure);
            if (failure != null) {
                throw sneaky(failure);
            }
            return result;
        });
    }

    /**
     * The {@code /proc/sys} file of a sysctl key, converted as Kubernetes does: when the first separator of
     * the key is a dot, dots and slashes swap roles ({@code net.ipv4.conf.eth0/100.forwarding} is {@code
     * net/ipv4/conf/eth0.100/forwarding}); when it is a slash the key is a path already.
     *
     * @throws IllegalArgumentException for an empty key or one with an empty, {@code .} or {@code ..} part
     */
    public static String sysctlPath(String key) {
        int dot = key.indexOf('.');
        int slash = key.indexOf('/');
        String path = key;
        if (dot >= 0 && (slash < 0 || dot < slash)) {
            char[] c = key.toCharArray();
            for (int i = 0; i < c.length; i++) {
                if (c[i] == '.') {
                    c[i] = '/';
                } else if (c[i] == '/') {
                    c[i] = '.';
                }
            }
            path = new String(c);
        }
        if (key.isEmpty() || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid sysctl key " + quote(key));
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("invalid sysctl key " + quote(key));
            }
        }
        return "/proc/sys/" + path;
    }

    /**
     * The namespace a sysctl belongs to. Only these are separate per namespace: {@code net.*} (network),
     * {@code kernel.shm*}, {@code kernel.msg*}, {@code kernel.sem*}, {@code fs.mqueue.*} (IPC), {@code
     * kernel.hostname} and {@code kernel.domainname} (UTS).
     *
     * @throws IllegalArgumentException for a malformed key or one the host shares with every namespace
     */
    public static NamespaceKind sysctlKind(String key) {
        String path = sysctlPath(key).substring("/proc/sys/".length());
        if (path.startsWith("net/")) {
            return NamespaceKind.NET;
        }
        if (path.startsWith("kernel/shm") || path.startsWith("kernel/msg") || path.startsWith("kernel/sem")
                || path.startsWith("fs/mqueue/")) {
            return NamespaceKind.IPC;
        }
        if (path.equals("kernel/hostname") || path.equals("kernel/domainname")) {
            return NamespaceKind.UTS;
        }
        throw new IllegalArgumentException("sysctl " + key + " is not namespaced: writing it would change the host");
    }

    private static PinnedNamespaces pinOnThisThread(PinRequest request, Path dir) {
        Set<NamespaceKind> kinds = request.kinds();
        HostNamespaces host = HostNamespaces.open(kinds);
        List<String> created = new ArrayList<>(kinds.size());
        List<String> mounted = new ArrayList<>(kinds.size());
        EnumMap<NamespaceKind, Path> paths = new EnumMap<>(NamespaceKind.class);
        Throwable failure = null;
        try {
            int flags = 0;
            for (NamespaceKind k : kinds) {
                flags |= k.cloneFlag();
            }
            int unshareFlags = flags;
            step("unshare " + procNames(kinds), () -> NamespaceCalls.unshare(unshareFlags));
            if (kinds.contains(NamespaceKind.NET)) {
                // a pod's own loopback is up from the start, as the CNI loopback plugin would leave it
                step("bring up lo", () -> LinkCalls.up("lo"));
            }
            if (request.hostname().isPresent()) {
                String name = request.hostname().get();
                step("set hostname " + name, () -> NamespaceCalls.sethostname(name));
            }
            for (Map.Entry<String, String> e : request.sysctls().entrySet()) {
                step("write sysctl " + e.getKey() + "=" + e.getValue(), () -> writeSysctl(e.getKey(), e.getValue()));
            }
            for (NamespaceKind k : kinds) {
                Path kindDir = dir.resolve(k.dirName());
                Path file = kindDir.resolve(request.id());
                String f = file.toString();
                try {
                    Files.createDirectories(kindDir, DIR_MODE);
                } catch (IOException | RuntimeException e) {
                    throw new NamespaceException("create directory " + kindDir, e);
                }
                step("create " + f, () -> createEmpty(f));
                created.add(f);
                String source = THREAD_NS + k.procName();
                step("bind mount " + source + " on " + f, () -> MountCalls.mount(source, f, null, MountCalls.MS_BIND, null));
                mounted.add(f);
                paths.put(k, file);
            }
        } catch (Throwable t) {
            failure = t;
        }
        failure = host.restore(failure);
        if (failure != null) {
            for (String f : mounted) {
                try {
                    MountCalls.umount2IfMounted(f, MountCalls.MNT_DETACH | MountCalls.UMOUNT_NOFOLLOW);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            for (String f : created) {
                try {
                    FileCalls.unlinkatIfExists(FileCalls.AT_FDCWD, f, 0);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            throw sneaky(failure);
        }
        return new PinnedNamespaces(paths);
    }

    private static void writeSysctl(String key, String text) {
        byte[] value = text.getBytes(StandardCharsets.UTF_8);
        int fd = FileCalls.openat(FileCalls.AT_FDCWD, sysctlPath(key),
                FileCalls.O_WRONLY | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            if (value.length > 0) {
                FileCalls.writeFully(fd, arena.allocateFrom(ValueLayout.JAVA_BYTE, value), value.length);
            }
        } finally {
            FileCalls.close(fd);
        }
    }

    private static void createEmpty(String file) {
        FileCalls.close(FileCalls.openat(FileCalls.AT_FDCWD, file,
                FileCalls.O_RDONLY | FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC,
                PIN_FILE_MODE));
    }

    private static void enter(NamespaceKind kind, String path) {
        int fd;
        try {
            fd = NamespaceCalls.open(path);
        } catch (SyscallException e) {
            throw new NamespaceException("open " + path, e);
        }
        try {
            NamespaceCalls.setns(fd, kind.cloneFlag());
        } catch (SyscallException e) {
            throw new NamespaceException("enter " + kind.procName() + " namespace " + path, e);
        } finally {
            FileCalls.close(fd);
        }
    }

    /**
     * Descriptors of the namespaces a worker thread started in, opened before it leaves them so that it can
     * go back before it ends.
     */
    private static final class HostNamespaces {

        private final EnumMap<NamespaceKind, Integer> fds = new EnumMap<>(NamespaceKind.class);

        static HostNamespaces open(Set<NamespaceKind> kinds) {
            HostNamespaces host = new HostNamespaces();
            EnumMap<NamespaceKind, Integer> fds = host.fds;
            try {
                for (NamespaceKind k : kinds) {
                    String path = THREAD_NS + k.procName();
                    fds.put(k, stepValue("open " + path, () -> NamespaceCalls.open(path)));
                }
            } catch (RuntimeException e) {
                host.close();
                throw e;
            }
            return host;
        }

        /**
         * Returns the thread to the namespaces it started in and closes the descriptors; gives back
         * {@code failure}, or the failure to go back when there was none before.
         */
        Throwable restore(Throwable failure) {
            for (Map.Entry<NamespaceKind, Integer> e : fds.entrySet()) {
                try {
                    NamespaceCalls.setns(e.getValue(), e.getKey().cloneFlag());
                } catch (SyscallException s) {
                    NamespaceException back = new NamespaceException(
                            "return to the original " + e.getKey().procName() + " namespace", s);
                    if (failure == null) {
                        failure = back;
                    } else {
                        failure.addSuppressed(back);
                    }
                }
            }
            close();
            return failure;
        }

        void close() {
            for (int fd : fds.values()) {
                try {
                    FileCalls.close(fd);
                } catch (SyscallException ignored) {
                    // the descriptor is released by close(2) even when it reports an error
                }
            }
            fds.clear();
        }
    }

    /** Runs one step of the work, turning its failure into a {@link NamespaceException} that names it. */
    private static void step(String name, Runnable body) {
        stepValue(name, () -> {
            body.run();
            return null;
        });
    }

    private static <R> R stepValue(String name, Supplier<R> body) {
        try {
            return body.get();
        } catch (NamespaceException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new NamespaceException(name, e);
        }
    }

    private static String procNames(Set<NamespaceKind> kinds) {
        StringBuilder b = new StringBuilder();
        for (NamespaceKind k : kinds) {
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(k.procName());
        }
        return b.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\0", "\\0") + "\"";
    }

    /**
     * Runs {@code body} on a new platform thread and waits for it. An interrupt of the waiting thread is
     * passed on to the new one and restored once it has ended.
     */
    private static <T> T onNewThread(String name, Callable<T> body) throws Exception {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread worker = Thread.ofPlatform().name(name).daemon(true).unstarted(() -> {
            try {
                result[0] = body.call();
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        worker.start();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                worker.interrupt();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw sneaky(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
