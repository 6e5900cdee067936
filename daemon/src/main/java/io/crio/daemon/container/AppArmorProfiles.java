package io.crio.daemon.container;

import io.crio.api.v1.LinuxContainerSecurityContext;
import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import io.crio.sys.PresentFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AppArmor for a container, as CRI-O decides it, and only where the host has AppArmor: {@code RuntimeDefault}
 * (or nothing asked) → the configured {@code apparmor_profile} ({@code crio-default}, which the daemon loads
 * itself with {@code apparmor_parser} when the kernel does not have it yet); {@code Unconfined} and
 * privileged containers → none; {@code Localhost} → the named profile, which must be loaded. The deprecated
 * {@code apparmor_profile} string ({@code runtime/default}, {@code unconfined}, {@code localhost/<name>}) is
 * read when the field is unset. On a host without AppArmor nothing is applied and nothing is refused.
 */
public final class AppArmorProfiles {

    private static final Logger log = LoggerFactory.getLogger(AppArmorProfiles.class);
    public static final String BUILT_IN = "crio-default";

    /** What the decision needs to know about the host. */
    public interface Host {
        boolean enabled();

        boolean loaded(String profile);

        /** Loads the built-in default profile into the kernel. */
        void loadBuiltIn() throws IOException;
    }

    private AppArmorProfiles() {}

    /** The profile name for {@code process.apparmorProfile}, or null for none. */
    public static String forContainer(LinuxContainerSecurityContext sec, String configuredDefault, Host host) {
        SecurityProfile requested = requested(sec);
        if (!host.enabled() || sec.getPrivileged()
                || requested.getProfileType() == SecurityProfile.ProfileType.Unconfined) {
            return null;
        }
        if (requested.getProfileType() == SecurityProfile.ProfileType.Localhost) {
            String name = requested.getLocalhostRef();
            if (name.isEmpty()) {
                throw CriException.invalidArgument("apparmor Localhost profile needs a profile name");
            }
            if (!host.loaded(name)) {
                throw CriException.invalidArgument("apparmor profile " + name + " specified but not loaded");
            }
            return name;
        }
        String name = configuredDefault.isEmpty() ? BUILT_IN : configuredDefault;
        if (name.equals("unconfined")) {
            return null;
        }
        if (!host.loaded(name)) {
            if (!name.equals(BUILT_IN)) {
                throw CriException.failedPrecondition("the default apparmor profile " + name + " is not loaded");
            }
            try {
                host.loadBuiltIn();
            } catch (IOException e) {
                throw new CriException(CriException.Kind.INTERNAL, "cannot load the apparmor profile " + BUILT_IN
                        + ": " + e.getMessage(), e);
            }
        }
        return name;
    }

    /** The field, or else the deprecated string; neither set means the runtime default. */
    static SecurityProfile requested(LinuxContainerSecurityContext sec) {
        if (sec.hasApparmor()) {
            return sec.getApparmor();
        }
        return LegacyProfiles.parse(sec.getApparmorProfile(), Set.of("runtime/default"), "apparmor_profile");
    }

    /** The profile text of {@link #BUILT_IN}: what a container needs, without mounts, kernel tunables or raw hardware. */
    static String builtInText() {
        return String.join("\n", List.of(
                "#include <tunables/global>",
                "",
                "profile " + BUILT_IN + " flags=(attach_disconnected,mediate_deleted) {",
                "  #include <abstractions/base>",
                "  network,",
                "  capability,",
                "  file,",
                "  umount,",
                "  signal (receive) peer=unconfined,",
                "  signal (send,receive) peer=" + BUILT_IN + ",",
                "  ptrace (trace,read,tracedby,readby) peer=" + BUILT_IN + ",",
                "  deny mount,",
                "  deny @{PROC}/* w,",
                "  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,",
                "  deny @{PROC}/sys/[^k]** w,",
                "  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,",
                "  deny @{PROC}/sysrq-trigger rwklx,",
                "  deny @{PROC}/kcore rwklx,",
                "  deny /sys/[^f]*/** wklx,",
                "  deny /sys/f[^s]*/** wklx,",
                "  deny /sys/fs/[^c]*/** wklx,",
                "  deny /sys/fs/c[^g]*/** wklx,",
                "  deny /sys/fs/cg[^r]*/** wklx,",
                "  deny /sys/firmware/** rwklx,",
                "  deny /sys/kernel/security/** rwklx,",
                "}", ""));
    }

    /** The running kernel's AppArmor, through securityfs, and {@code apparmor_parser} for loading. */
    public static final class KernelHost implements Host {
        private final Path enabledFile;
        private final Path profilesFile;
        private final String parser;
        private volatile boolean builtInLoaded;

        public KernelHost() {
            this(Path.of("/sys/module/apparmor/parameters/enabled"), Path.of("/sys/kernel/security/apparmor/profiles"),
                    "apparmor_parser");
        }

        KernelHost(Path enabledFile, Path profilesFile, String parser) {
            this.enabledFile = enabledFile;
            this.profilesFile = profilesFile;
            this.parser = parser;
        }

        @Override
        public boolean enabled() {
            try {
                return PresentFiles.readString(enabledFile).orElse("").trim().startsWith("Y");
            } catch (IOException e) {
                return false;
            }
        }

        /** Reads the kernel's list, except for the built-in profile once it has been seen loaded. */
        @Override
        public boolean loaded(String profile) {
            boolean builtIn = profile.equals(BUILT_IN);
            if (builtIn && builtInLoaded) {
                return true;
            }
            boolean found = loadedProfiles().contains(profile);
            if (builtIn && found) {
                builtInLoaded = true;
            }
            return found;
        }

        Set<String> loadedProfiles() {
            Set<String> names = new HashSet<>();
            try {
                for (String line : Files.readAllLines(profilesFile)) {
                    int paren = line.lastIndexOf(" (");
                    names.add(paren > 0 ? line.substring(0, paren) : line.trim());
                }
            } catch (IOException e) {
                // no securityfs: nothing is loaded that we can see
            }
            return names;
        }

        @Override
        public synchronized void loadBuiltIn() throws IOException {
            if (builtInLoaded) {
                return;
            }
            Process p = new ProcessBuilder(parser, "-Kr").redirectErrorStream(true).start();
            IOException writeFailure = null;
            try (var in = p.getOutputStream()) {
                in.write(builtInText().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the parser ended early: its status and output below say why
                writeFailure = e;
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(parser + " did not finish within 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while loading the apparmor profile", e);
            }
            if (p.exitValue() != 0) {
                throw new IOException(parser + " failed with status " + p.exitValue() + ": " + output);
            }
            if (writeFailure != null) {
                throw new IOException("cannot hand the profile to " + parser + ": " + writeFailure.getMessage(),
                        writeFailure);
            }
            builtInLoaded = true;
            log.info("Loaded the apparmor profile {}", BUILT_IN);
        }
    }
}
