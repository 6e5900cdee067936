package io.crio.image;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS trust for registries as the containers tools set it up: the JDK's and the system's CA certificates
 * plus the registry's own CAs in {@code <certs.d>/<host[:port]>/*.crt}; an insecure registry's certificate
 * is not verified at all.
 */
public final class RegistryTls {

    public static final Path DEFAULT_CERTS_DIR = Path.of("/etc/containers/certs.d");
    static final List<Path> SYSTEM_BUNDLES = List.of(Path.of("/etc/ssl/certs/ca-certificates.crt"),
            Path.of("/etc/pki/tls/certs/ca-bundle.crt"));

    private final Path certsDir;
    private final List<Path> systemBundles;

    public RegistryTls(Path certsDir, List<Path> systemBundles) {
        this.certsDir = certsDir;
        this.systemBundles = List.copyOf(systemBundles);
    }

    public static RegistryTls system() {
        return new RegistryTls(DEFAULT_CERTS_DIR, SYSTEM_BUNDLES);
    }

    /** Whether the host has its own certificate directory (then it is spoken to over TLS). */
    public boolean hasHostCertificates(String host) {
        return certsDir != null && Files.isDirectory(certsDir.resolve(host));
    }

    /** The TLS context for a registry host. */
    public SSLContext context(String host, boolean insecure) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager tm = insecure ? new TrustAll() : trustManager(host);
            ctx.init(null, new TrustManager[] {tm}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS for " + host + ": " + e.getMessage(), e);
        }
    }

    private X509TrustManager trustManager(String host) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init((KeyStore) null);
        int n = 0;
        for (TrustManager t : jdk.getTrustManagers()) {
            if (t instanceof X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    store.setCertificateEntry("jdk-" + n++, c);
                }
            }
        }
        for (Path bundle : systemBundles) {
            n = addPem(store, bundle, "system-", n);
        }
        if (certsDir != null && Files.isDirectory(certsDir.resolve(host))) {
            try (Stream<Path> s = Files.list(certsDir.resolve(host))) {
                for (Path crt : s.filter(p -> p.getFileName().toString().endsWith(".crt")).sorted().toList()) {
                    n = addPem(store, crt, "host-", n);
                }
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        for (TrustManager t : tmf.getTrustManagers()) {
            if (t instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }

    private static int addPem(KeyStore store, Path file, String prefix, int n) throws GeneralSecurityException, IOException {
        if (!Files.isRegularFile(file)) {
            return n;
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(file)) {
            for (Certificate c : cf.generateCertificates(in)) {
                store.setCertificateEntry(prefix + n++, c);
            }
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
        }
        return n;
    }

    /** Accepts any certificate and any host name: for registries marked insecure. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
