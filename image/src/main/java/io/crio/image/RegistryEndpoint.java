package io.crio.image;

/**
 * A registry host to talk to and whether it may be reached without verified TLS (plain HTTP or an
 * unverified certificate). Loopback registries are always allowed plain HTTP.
 */
public record RegistryEndpoint(String host, boolean insecure) {

    public boolean allowsPlainHttp() {
        return insecure || isLoopback(host);
    }

    static boolean isLoopback(String host) {
        String h = host;
        if (h.startsWith("[")) {
            h = h.substring(1, h.indexOf(']'));
        } else if (h.contains(":")) {
            h = h.substring(0, h.lastIndexOf(':'));
        }
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
    }

    /** Docker Hub's API lives at registry-1.docker.io. */
    public String apiHost() {
        return host.equals("docker.io") ? "registry-1.docker.io" : host;
    }
}
