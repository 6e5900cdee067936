package io.crio.daemon.sandbox;

import io.crio.api.v1.DNSConfig;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PortMapping;
import io.crio.api.v1.Protocol;
import io.crio.daemon.server.CriException;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a {@link PodSandboxConfig} before anything is created: metadata, hostname, DNS settings, port
 * mappings and namespace options. Every problem is an {@code INVALID_ARGUMENT} naming the field.
 */
final class SandboxConfigValidator {

    /** As kubelet: at most this many search domains, this many characters in all. */
    static final int MAX_SEARCHES = 32;
    static final int MAX_SEARCH_CHARS = 2048;
    static final int MAX_SERVERS = 3 * 4;
    private static final Pattern HOSTNAME = Pattern.compile("[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*");
    private static final Pattern DNS_TOKEN = Pattern.compile("[^\\s#;]+");
    private static final Pattern NAME_PART = Pattern.compile("[^/\\x00-\\x1f\\x7f]+");

    private SandboxConfigValidator() {}

    static void validate(PodSandboxConfig config) {
        if (!config.hasMetadata()) {
            throw invalid("PodSandboxConfig.Metadata is nil");
        }
        PodSandboxMetadata m = config.getMetadata();
        requireNamePart("metadata.name", m.getName());
        requireNamePart("metadata.namespace", m.getNamespace());
        requireNamePart("metadata.uid", m.getUid());
        String hostname = config.getHostname();
        if (!hostname.isEmpty() && (hostname.length() > 64 || !HOSTNAME.matcher(hostname).matches())) {
            throw invalid("invalid hostname " + SysctlPolicy.quote(hostname)
                    + ": must be at most 64 characters of letters, digits, '-' and '.'");
        }
        String logDir = config.getLogDirectory();
        if (!logDir.isEmpty() && (!logDir.startsWith("/") || logDir.indexOf('\0') >= 0)) {
            throw invalid("log_directory " + SysctlPolicy.quote(logDir) + " must be an absolute path");
        }
        if (config.hasDnsConfig()) {
            validateDns(config.getDnsConfig());
        }
        validatePorts(config);
        validateNamespaces(config);
        io.crio.daemon.container.SeccompProfiles.validate(
                io.crio.daemon.container.SeccompProfiles.requested(config.getLinux().getSecurityContext()));
    }

    private static void requireNamePart(String field, String value) {
        if (value.isEmpty()) {
            throw invalid("PodSandboxConfig." + field + " is empty");
        }
        if (value.length() > 253 || !NAME_PART.matcher(value).matches()) {
            throw invalid("PodSandboxConfig." + field + " " + SysctlPolicy.quote(value)
                    + " must not contain '/' or control characters");
        }
    }

    static void validateDns(DNSConfig dns) {
        if (dns.getServersCount() > MAX_SERVERS) {
            throw invalid("too many DNS servers: " + dns.getServersCount() + " (at most " + MAX_SERVERS + ")");
        }
        for (String server : dns.getServersList()) {
            if (!isIpLiteral(server)) {
                throw invalid("DNS server " + SysctlPolicy.quote(server) + " is not an IP address");
            }
        }
        if (dns.getSearchesCount() > MAX_SEARCHES) {
            throw invalid("too many DNS search domains: " + dns.getSearchesCount() + " (at most " + MAX_SEARCHES + ")");
        }
        int chars = 0;
        for (String search : dns.getSearchesList()) {
            if (!DNS_TOKEN.matcher(search).matches() || search.length() > 253) {
                throw invalid("DNS search domain " + SysctlPolicy.quote(search) + " is not a domain name");
            }
            chars += search.length() + 1;
        }
        if (chars > MAX_SEARCH_CHARS) {
            throw invalid("DNS search list is longer than " + MAX_SEARCH_CHARS + " characters");
        }
        for (String option : dns.getOptionsList()) {
            if (!DNS_TOKEN.matcher(option).matches()) {
                throw invalid("DNS option " + SysctlPolicy.quote(option) + " must be one word without white space");
            }
        }
    }

    private static void validatePorts(PodSandboxConfig config) {
        Set<String> seen = new HashSet<>();
        for (PortMapping p : config.getPortMappingsList()) {
            if (p.getProtocol() == Protocol.UNRECOGNIZED) {
                throw invalid("port mapping has an unknown protocol");
            }
            if (p.getContainerPort() <= 0 || p.getContainerPort() > 65535) {
                throw invalid("port mapping container_port " + p.getContainerPort() + " is not in 1-65535");
            }
            if (p.getHostPort() < 0 || p.getHostPort() > 65535) {
                throw invalid("port mapping host_port " + p.getHostPort() + " is not in 0-65535");
            }
            if (!p.getHostIp().isEmpty() && !isIpLiteral(p.getHostIp())) {
                throw invalid("port mapping host_ip " + SysctlPolicy.quote(p.getHostIp()) + " is not an IP address");
            }
            if (p.getHostPort() > 0 && !seen.add(p.getProtocol() + "/" + p.getHostIp() + "/" + p.getHostPort())) {
                throw invalid("host port " + p.getHostPort() + "/" + p.getProtocol() + " is mapped twice");
            }
        }
    }

    private static void validateNamespaces(PodSandboxConfig config) {
        var ns = config.getLinux().getSecurityContext().getNamespaceOptions();
        for (var e : new Object[][] {{"network", ns.getNetwork()}, {"pid", ns.getPid()}, {"ipc", ns.getIpc()}}) {
            NamespaceMode mode = (NamespaceMode) e[1];
            if (mode == NamespaceMode.UNRECOGNIZED || mode == NamespaceMode.TARGET) {
                throw invalid("namespace_options." + e[0] + " " + mode + " is not supported for a pod sandbox");
            }
        }
        if (ns.getNetwork() == NamespaceMode.CONTAINER) {
            throw invalid("namespace_options.network CONTAINER is not supported for a pod sandbox");
        }
        if (ns.getIpc() == NamespaceMode.CONTAINER) {
            throw invalid("namespace_options.ipc CONTAINER is not supported for a pod sandbox");
        }
        if (ns.hasUsernsOptions() && ns.getUsernsOptions().getMode() != NamespaceMode.NODE) {
            throw invalid("user namespaces are not supported");
        }
    }

    /** True for an IPv4 or IPv6 literal (never resolves a name). */
    static boolean isIpLiteral(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return false;
        }
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6 && !s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return false;
        }
        if (v6 && !s.matches("[0-9a-fA-F:.]+")) {
            return false;
        }
        try {
            InetAddress.ofLiteral(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static CriException invalid(String message) {
        return CriException.invalidArgument(message);
    }
}
