package io.crio.daemon.sandbox;

import io.crio.api.v1.DNSConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The pod's {@code resolv.conf}: built from its DNSConfig, or the host's file when the pod gives none. */
final class ResolvConf {

    private ResolvConf() {}

    static String render(DNSConfig dns) {
        StringBuilder sb = new StringBuilder();
        if (dns.getSearchesCount() > 0) {
            sb.append("search ").append(String.join(" ", dns.getSearchesList())).append('\n');
        }
        for (String server : dns.getServersList()) {
            sb.append("nameserver ").append(server).append('\n');
        }
        if (dns.getOptionsCount() > 0) {
            sb.append("options ").append(String.join(" ", dns.getOptionsList())).append('\n');
        }
        return sb.toString();
    }

    static boolean isEmpty(DNSConfig dns) {
        return dns.getServersCount() == 0 && dns.getSearchesCount() == 0 && dns.getOptionsCount() == 0;
    }

    /** Writes {@code target} (mode 0644) from {@code dns}, or copies {@code hostFile} when dns is empty. */
    static void write(Path target, DNSConfig dns, Path hostFile) throws IOException {
        byte[] content;
        if (isEmpty(dns)) {
            content = Files.exists(hostFile) ? Files.readAllBytes(hostFile) : new byte[0];
        } else {
            content = render(dns).getBytes(StandardCharsets.UTF_8);
        }
        SandboxFiles.writeReadable(target, content);
    }
}
