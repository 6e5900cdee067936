package io.crio.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * One test directory's daemon configuration and network, and what that network leaves on the host.
 *
 * <p>The network itself (random bridge and /24, host-local leases under the directory) is a {@link CniFixtures};
 * this adds the daemon's {@code crio.conf} pointing at the directory, a failpoint plugin whose behaviour a
 * test switches while the daemon runs, a {@link #snapshot} of what pods can leave behind (pinned namespaces,
 * mounts, run directories, state files, host-local leases, CNI cache files, veths on the bridge) and the
 * host's iptables rules.
 */
public final class CniFixture {

    /** Where the daemon caches CNI results (libcni's layout: {@code <network>-<id>-<ifname>}). */
    public static final Path CNI_CACHE = Path.of("/var/lib/cni/results");
    public static final List<String> NAMESPACE_KINDS = List.of("netns", "ipcns", "utsns");

    private final Path dir;
    private final CniFixtures net;

    private CniFixture(Path dir, CniFixtures net) {
        this.dir = dir;
        this.net = net;
    }

    /** A network with a random name, bridge and subnet for the daemon of {@code dir}. */
    public static CniFixture create(String prefix, Path dir) {
        String name = prefix + "-" + Integer.toHexString(0x100000 + ThreadLocalRandom.current().nextInt(0xefffff));
        return new CniFixture(dir, CniFixtures.random(name, dir));
    }

    public String network() {
        return net.network();
    }

    public String subnetPrefix() {
        return net.subnetPrefix();
    }

    /** bridge + host-local, then the extra plugins (raw JSON objects). */
    public String conflist(String... extraPlugins) {
        return net.conflist(extraPlugins);
    }

    /** bridge + host-local + the failpoint plugin. */
    public String conflistWithFailpoint() {
        return net.conflist("{\"type\":\"failpoint\"}");
    }

    /** The failpoint plugin first, then bridge + host-local: its DEL runs last. */
    public String conflistFailpointFirst() {
        String list = net.conflist();
        int at = list.indexOf("\"plugins\":[") + "\"plugins\":[".length();
        return list.substring(0, at) + "{\"type\":\"failpoint\"}," + list.substring(at);
    }

    public Path conflistFile() {
        return dir.resolve("net.d/10-" + network() + ".conflist");
    }

    public Path pluginDir() {
        return dir.resolve("plugins");
    }

    public Path namespacesDir() {
        return dir.resolve("ns");
    }

    public Path namespaceFile(String kind, String id) {
        return namespacesDir().resolve(kind).resolve(id);
    }

    public Path stateFile(String id) {
        return dir.resolve("root/crio/sandboxes").resolve(id + ".json");
    }

    /** Writes {@code crio.conf} (namespaces, network and plugin directories under the test directory) and the conflist. */
    public void writeConfig(String conflist) throws IOException {
        Files.createDirectories(dir.resolve("net.d"));
        Files.createDirectories(pluginDir());
        Files.writeString(dir.resolve("crio.conf"), """
                [crio.runtime]
                namespaces_dir = "%1$s/ns"
                default_sysctls = []
                [crio.network]
                network_dir = "%1$s/net.d"
                plugin_dirs = ["/usr/lib/cni", "%2$s"]
                """.formatted(dir, pluginDir()));
        writeConflist(conflist);
    }

    /** Replaces the conflist in one step (a rename), as network providers do. */
    public void writeConflist(String conflist) throws IOException {
        Path tmp = dir.resolve("conflist.tmp");
        Files.writeString(tmp, conflist);
        Files.move(tmp, conflistFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes the failpoint plugin. Every call is recorded as {@code <command> <container id> <netns>} in
     * {@link #failpointCalls}. Without a mode (the default) ADD fails with CNI error 999 "failpoint ADD" and
     * DEL succeeds; in mode {@code del} ADD returns an empty result and DEL fails with "failpoint DEL".
     */
    public void writeFailpoint() throws IOException {
        Files.createDirectories(pluginDir());
        Path plugin = pluginDir().resolve("failpoint");
        Files.writeString(plugin, """
                #!/bin/bash
                cat >/dev/null
                mode=$(cat '%1$s' 2>/dev/null)
                echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS" >> '%2$s'
                case "$CNI_COMMAND" in
                  ADD)
                    if [ "$mode" = del ]; then echo '{"cniVersion":"1.0.0"}'; exit 0; fi
                    echo '{"cniVersion":"1.0.0","code":999,"msg":"failpoint ADD"}'; exit 1 ;;
                  DEL)
                    if [ "$mode" = del ]; then echo '{"cniVersion":"1.0.0","code":999,"msg":"failpoint DEL"}'; exit 1; fi
                    exit 0 ;;
                  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'; exit 0 ;;
                  *) exit 0 ;;
                esac
                """.formatted(dir.resolve("failpoint.mode"), dir.resolve("failpoint.calls")));
        if (!plugin.toFile().setExecutable(true)) {
            throw new IOException("cannot make " + plugin + " executable");
        }
    }

    /** Switches the failpoint plugin's behaviour; empty for the default. */
    public void failpointMode(String mode) throws IOException {
        Files.writeString(dir.resolve("failpoint.mode"), mode);
    }

    /** The failpoint plugin's calls, one line each. */
    public List<String> failpointCalls() throws IOException {
        Path calls = dir.resolve("failpoint.calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    public Path cacheFile(String id) {
        return CNI_CACHE.resolve(network() + "-" + id + "-eth0");
    }

    /** The network configuration recorded in pod {@code id}'s cache file (stored base64-encoded, as libcni does). */
    public String cachedConfig(String id) throws IOException {
        byte[] config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cacheFile(id).toFile())
                .path("config").binaryValue();
        return config == null ? "" : new String(config, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The CNI cache files of this network. */
    public List<String> cacheFiles() throws IOException {
        return list(CNI_CACHE).stream().filter(n -> n.startsWith(network() + "-")).toList();
    }

    /** host-local's lease files (named by address). */
    public List<String> leases() throws IOException {
        return net.leases();
    }

    public Path leaseFile(String ip) {
        return dir.resolve("ipam").resolve(network()).resolve(ip);
    }

    /** The interfaces attached to the bridge, one line each (none while the bridge does not exist). */
    public List<String> bridgePorts() throws Exception {
        return net.bridgePorts().lines().filter(l -> l.matches("\\d+: .*")).toList();
    }

    /** The filter and nat tables. */
    public static String iptables() throws Exception {
        return CniFixtures.run("iptables-save") + CniFixtures.run("iptables-save", "-t", "nat");
    }

    /** The lines of this process's mount table that mention the test directory. */
    public List<String> mountsUnder() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(dir.toString())).toList();
    }

    /** The nsfs mount pinning {@code file}, if there is one. */
    public boolean isPinned(Path file) throws IOException {
        String target = " " + file + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.contains(target) && l.contains(" - nsfs "));
    }

    /** Names in a directory, sorted; none when it does not exist. */
    public static List<String> list(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Everything pods of this directory's daemon can leave on the host, at one moment. */
    public record Snapshot(List<String> namespaces, List<String> mounts, List<String> runDirs, List<String> stateFiles,
                           List<String> leases, List<String> cacheFiles, List<String> bridgePorts) {}

    public Snapshot snapshot() throws Exception {
        List<String> ns = new ArrayList<>();
        for (String kind : NAMESPACE_KINDS) {
            for (String f : list(namespacesDir().resolve(kind))) {
                ns.add(kind + "/" + f);
            }
        }
        return new Snapshot(ns, mountsUnder(), list(dir.resolve("runroot/overlay-containers")),
                list(dir.resolve("root/crio/sandboxes")), leases(), cacheFiles(), bridgePorts());
    }

    /** The lines of {@code text} that mention {@code needle}. */
    public static List<String> linesWith(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).toList();
    }

    /** Deletes the bridge (and so whatever is still attached to it). */
    public void deleteBridge() throws Exception {
        net.deleteBridge();
    }
}
