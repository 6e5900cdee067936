package io.crio.daemon.config;

import java.util.List;
import java.util.Set;

/** The {@code [crio.api]} table: the gRPC socket kubelet talks to and the streaming server. */
@Doc("The crio.api table configures the CRI gRPC endpoint and the exec/attach/port-forward streaming server.")
public record ApiSection(
        @Doc("Unix socket on which the CRI gRPC service listens.")
        String listen,
        @Doc("IP address the streaming server (exec, attach, port-forward) binds to.")
        String streamAddress,
        @Doc({"TCP port of the streaming server, written as a string. \"0\" lets the",
              "kernel pick a free port."})
        String streamPort,
        @Doc("Serve the streaming endpoints over TLS; needs stream_tls_cert and stream_tls_key.")
        boolean streamEnableTls,
        @Doc({"How long a stream may stay idle before it is closed, as a duration such as \"4h\".",
              "Empty keeps the built-in limit."})
        String streamIdleTimeout,
        @Doc("PEM certificate for the TLS streaming server; re-read when the file changes.")
        String streamTlsCert,
        @Doc("PEM private key matching stream_tls_cert; re-read when the file changes.")
        String streamTlsKey,
        @Doc({"PEM bundle of CAs used to verify client certificates of the streaming server.",
              "Empty means client certificates are not required."})
        String streamTlsCa,
        @Doc({"Lowest TLS protocol version the TLS servers (streaming, metrics) accept:",
              "\"VersionTLS12\" or \"VersionTLS13\". Empty means \"VersionTLS12\"."})
        String tlsMinVersion,
        @Doc({"TLS 1.2 cipher suites to offer, by their IANA names (e.g.",
              "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). Empty uses the built-in selection;",
              "ignored when tls_min_version is \"VersionTLS13\"."})
        List<String> tlsCipherSuites,
        @Doc("Largest gRPC message, in bytes, the daemon sends. Zero or less means 80 MiB.")
        long grpcMaxSendMsgSize,
        @Doc("Largest gRPC message, in bytes, the daemon accepts. Zero or less means 80 MiB.")
        long grpcMaxRecvMsgSize) {

    /** 80 MiB, the gRPC message size limit used when none (or a non-positive one) is configured. */
    public static final long DEFAULT_GRPC_MAX_MSG_SIZE = 80L * 1024 * 1024;

    /** TLS cipher suite names accepted in {@code tls_cipher_suites}. */
    static final Set<String> CIPHER_SUITES = Set.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
            "TLS_RSA_WITH_RC4_128_SHA",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
            "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
            "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256");

    public ApiSection {
        listen = Records.str(listen);
        streamAddress = Records.str(streamAddress);
        streamPort = Records.str(streamPort);
        streamIdleTimeout = Records.str(streamIdleTimeout);
        streamTlsCert = Records.str(streamTlsCert);
        streamTlsKey = Records.str(streamTlsKey);
        streamTlsCa = Records.str(streamTlsCa);
        tlsMinVersion = Records.str(tlsMinVersion);
        tlsCipherSuites = Records.list(tlsCipherSuites);
    }

    public static ApiSection defaults() {
        return new ApiSection(
                "/var/run/crio/crio.sock",
                "127.0.0.1",
                "0",
                false,
                "",
                "",
                "",
                "",
                "VersionTLS12",
                List.of(),
                DEFAULT_GRPC_MAX_MSG_SIZE,
                DEFAULT_GRPC_MAX_MSG_SIZE);
    }

    /** The send limit in force: the configured one, or 80 MiB when it is not positive. */
    public long effectiveGrpcMaxSendMsgSize() {
        return grpcMaxSendMsgSize > 0 ? grpcMaxSendMsgSize : DEFAULT_GRPC_MAX_MSG_SIZE;
    }

    /** The receive limit in force: the configured one, or 80 MiB when it is not positive. */
    public long effectiveGrpcMaxRecvMsgSize() {
        return grpcMaxRecvMsgSize > 0 ? grpcMaxRecvMsgSize : DEFAULT_GRPC_MAX_MSG_SIZE;
    }

    void validate(Problems problems) {
        String p = "crio.api.";
        if (listen.isBlank()) {
            problems.add(p + "listen", "must not be empty: give the path of the unix socket to serve");
        }
        if (!Formats.isPort(streamPort)) {
            problems.add(p + "stream_port", "invalid value \"" + streamPort
                    + "\", allowed: a port number from 0 to 65535 as a string (\"0\" picks a free port)");
        }
        if (!streamIdleTimeout.isEmpty() && !Durations.isValid(streamIdleTimeout)) {
            problems.add(p + "stream_idle_timeout", "invalid duration \"" + streamIdleTimeout
                    + "\", allowed: empty or a duration such as \"30m\" or \"4h\"");
        }
        if (streamEnableTls) {
            if (streamTlsCert.isEmpty()) {
                problems.add(p + "stream_tls_cert", "must be set when stream_enable_tls is true");
            }
            if (streamTlsKey.isEmpty()) {
                problems.add(p + "stream_tls_key", "must be set when stream_enable_tls is true");
            }
        }
        Formats.requireOneOfOrEmpty(problems, p + "tls_min_version", tlsMinVersion, "VersionTLS12", "VersionTLS13");
        if (!"VersionTLS13".equals(tlsMinVersion)) {
            for (String suite : tlsCipherSuites) {
                if (!CIPHER_SUITES.contains(suite)) {
                    problems.add(p + "tls_cipher_suites", "unknown cipher suite \"" + suite
                            + "\", allowed: " + String.join(", ", CIPHER_SUITES.stream().sorted().toList()));
                }
            }
        }
    }
}
