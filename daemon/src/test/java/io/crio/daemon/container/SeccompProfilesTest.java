package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import io.crio.oci.spec.Spec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeccompProfilesTest {

    static final String PROFILE = """
            {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
             "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
                        {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
             "syscalls":[
              {"names":["read","write"],"action":"SCMP_ACT_ALLOW","includes":{},"excludes":{}},
              {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]},"excludes":{}},
              {"names":["mount"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"includes":{},"excludes":{"caps":["CAP_SYS_ADMIN"]}},
              {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}]},
              {"names":["s390_only"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["s390x"]}}]}
            """;

    static List<String> allowed(Spec.Seccomp s) {
        return s.syscalls().stream().filter(r -> r.action().equals("SCMP_ACT_ALLOW")).flatMap(r -> r.names().stream()).toList();
    }

    @Test
    void rulesFollowCapabilitiesAndArchitecture() throws Exception {
        Spec.Seccomp plain = SeccompProfiles.convert(ContainerStore.JSON.readTree(PROFILE), List.of("CAP_CHOWN"));
        assertEquals("SCMP_ACT_ERRNO", plain.defaultAction());
        assertEquals(38, plain.defaultErrnoRet());
        assertTrue(allowed(plain).containsAll(List.of("read", "write", "personality")));
        assertFalse(allowed(plain).contains("mount"));
        assertFalse(allowed(plain).contains("s390_only"));
        assertEquals(8, plain.syscalls().stream().filter(r -> r.names().contains("personality")).findFirst().orElseThrow()
                .args().get(0).value());
        Spec.Seccomp admin = SeccompProfiles.convert(ContainerStore.JSON.readTree(PROFILE), List.of("CAP_SYS_ADMIN"));
        assertTrue(allowed(admin).contains("mount"));
        if (SeccompProfiles.goArch().equals("amd64")) {
            assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), plain.architectures());
        }
    }

    @Test
    void unconfinedAndPrivilegedGetNoFilter() {
        assertNull(SeccompProfiles.forContainer(SecurityProfile.newBuilder()
                .setProfileType(SecurityProfile.ProfileType.Unconfined).build(), false, "", List.of()));
        assertNull(SeccompProfiles.forContainer(SecurityProfile.getDefaultInstance(), true, "", List.of()));
        assertThrows(CriException.class, () -> SeccompProfiles.forContainer(SecurityProfile.newBuilder()
                .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("relative.json").build(),
                false, "", List.of()));
    }

    @Test
    void theBuiltInProfileRefusesWhatNoContainerNeeds() {
        Spec.Seccomp s = SeccompProfiles.builtIn();
        assertEquals("SCMP_ACT_ALLOW", s.defaultAction());
        assertTrue(s.syscalls().get(0).names().containsAll(List.of("kexec_load", "init_module", "reboot", "mount")));
    }
}
