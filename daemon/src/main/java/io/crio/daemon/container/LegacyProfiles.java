package io.crio.daemon.container;

import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import java.util.Set;

/**
 * The deprecated string form of a security profile ({@code seccomp_profile_path}, {@code apparmor_profile}):
 * empty or one of the default names → {@code RuntimeDefault}, {@code unconfined}, {@code localhost/<ref>}.
 */
final class LegacyProfiles {

    private LegacyProfiles() {}

    static SecurityProfile parse(String value, Set<String> defaultNames, String field) {
        SecurityProfile.Builder b = SecurityProfile.newBuilder();
        if (value.isEmpty() || defaultNames.contains(value)) {
            return b.setProfileType(SecurityProfile.ProfileType.RuntimeDefault).build();
        }
        if (value.equals("unconfined")) {
            return b.setProfileType(SecurityProfile.ProfileType.Unconfined).build();
        }
        if (value.startsWith("localhost/")) {
            return b.setProfileType(SecurityProfile.ProfileType.Localhost)
                    .setLocalhostRef(value.substring("localhost/".length())).build();
        }
        throw CriException.invalidArgument("unknown " + field + " \"" + value + "\"");
    }
}
