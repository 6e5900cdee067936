package io.crio.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A bridge network for end-to-end tests: a random bridge name and /24 subnet (so runs do not collide), a
 * host-local IPAM directory under the test's own directory, optionally portmap and a failpoint plugin.
 */
public record CniFixtures(String network, String bridge, String subnetPrefix, Path ipamDir) {

    public static CniFixtures random(String network, Path dir) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String bridge = "crt" + Integer.toHexString(0x100000 + r.nextInt(0xefffff));
        String prefix = "10." + (30 + r.nextInt(200)) + "." + r.nextInt(250);
        return new CniFixtures(network, bridge, prefix, dir.resolve("ipam"));
    }

    /** The gateway, the host's own address on the bridge. */
    public String gateway() {
        return subnetPrefix + ".1";
    }

    /** A conflist: bridge + host-local, then the extra plugin objects given (raw JSON). */
    public String conflist(String... extraPlugins) {
        List<String> plugins = new ArrayList<>();
        plugins.add("""
                {"type":"bridge","bridge":"%s","isGateway":true,"ipMasq":false,
                 "ipam":{"type":"host-local","ranges":[[{"subnet":"%s.0/24"}]],"dataDir":"%s"}}"""
                .formatted(bridge, subnetPrefix, ipamDir));
        plugins.addAll(List.of(extraPlugins));
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"" + network + "\",\"plugins\":[" + String.join(",", plugins) + "]}";
    }

    public static final String PORTMAP = "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}";

    /** Writes a failpoint CNI plugin: ADD fails with a CNI error, DEL is recorded in {@code delLog}. */
    public static Path writeFailpoint(Path pluginDir, Path delLog) throws IOException {
        Files.createDirectories(pluginDir);
        Path plugin = pluginDir.resolve("failpoint");
        Files.writeString(plugin, """
                #!/bin/bash
                cat >/dev/null
                case "$CNI_COMMAND" in
                  ADD) echo '{"cniVersion":"1.0.0","code":999,"msg":"failpoint ADD"}'; exit 1 ;;
                  DEL) echo "DEL $CNI_CONTAINERID" >> %s; exit 0 ;;
                  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'; exit 0 ;;
                  *) exit 0 ;;
                esac
                """.formatted(delLog));
        plugin.toFile().setExecutable(true);
        return plugin;
    }

    /** Host-local leases: files named by IP address in the network's IPAM directory. */
    public List<String> leases() throws IOException {
        Path d = ipamDir.resolve(network);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9.]+")).sorted().toList();
        }
    }

    /** Interfaces attached to the bridge. */
    public String bridgePorts() throws Exception {
        return run("ip", "-o", "link", "show", "master", bridge);
    }

    public void deleteBridge() throws Exception {
        run("ip", "link", "del", bridge);
    }

    public static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
