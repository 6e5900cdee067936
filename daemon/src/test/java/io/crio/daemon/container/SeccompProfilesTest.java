package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import io.crio.oci.spec.Spec;
import java.nio.file.Path;
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
    void privilegedContainersGetThePrivilegedProfileWhenOneIsConfigured(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("privileged.json");
        java.nio.file.Files.writeString(file, PROFILE);
        SecurityProfile unconfined = SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build();
        Spec.Seccomp privileged = SeccompProfiles.forContainer(unconfined, true, "", file.toString(), List.of("CAP_SYS_ADMIN"));
        assertTrue(allowed(privileged).contains("write"), "the configured file applies even over Unconfined");
        assertNull(SeccompProfiles.forContainer(unconfined, false, "", file.toString(), List.of()),
                "containers that are not privileged keep what they asked for");
        SecurityProfile effective = SeccompProfiles.effective(SecurityProfile.getDefaultInstance(), true, file.toString());
        assertEquals(SecurityProfile.ProfileType.Localhost, effective.getProfileType());
        assertEquals(file.toString(), effective.getLocalhostRef());
        assertEquals(SecurityProfile.getDefaultInstance(),
                SeccompProfiles.effective(SecurityProfile.getDefaultInstance(), true, ""));
        CriException missing = assertThrows(CriException.class, () -> SeccompProfiles.validate(
                SeccompProfiles.effective(unconfined, true, dir.resolve("absent.json").toString())));
        assertTrue(missing.getMessage().contains("absent.json"), missing.getMessage());
    }

    @Test
    void unconfinedAndPrivilegedGetNoFilter() {
        assertNull(SeccompProfiles.forContainer(SecurityProfile.newBuilder()
                .setProfileType(SecurityProfile.ProfileType.Unconfined).build(), false, "", "", List.of()));
        assertNull(SeccompProfiles.forContainer(SecurityProfile.getDefaultInstance(), true, "", "", List.of()));
        assertThrows(CriException.class, () -> SeccompProfiles.forContainer(SecurityProfile.newBuilder()
                .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("relative.json").build(),
                false, "", "", List.of()));
    }

    @Test
    void theBuiltInProfileRefusesWhatNoContainerNeeds() {
        Spec.Seccomp s = SeccompProfiles.builtIn();
        assertEquals("SCMP_ACT_ALLOW", s.defaultAction());
        assertTrue(s.syscalls().get(0).names().containsAll(List.of("kexec_load", "init_module", "reboot", "mount")));
    }

    static io.crio.api.v1.LinuxContainerSecurityContext legacy(String path) {
        return io.crio.api.v1.LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath(path).build();
    }

    @Test
    void theDeprecatedProfilePathIsReadWhenTheFieldIsUnset() {
        assertEquals(SecurityProfile.ProfileType.RuntimeDefault, SeccompProfiles.requested(legacy("")).getProfileType());
        assertEquals(SecurityProfile.ProfileType.RuntimeDefault,
                SeccompProfiles.requested(legacy("runtime/default")).getProfileType());
        assertEquals(SecurityProfile.ProfileType.RuntimeDefault,
                SeccompProfiles.requested(legacy("docker/default")).getProfileType());
        assertEquals(SecurityProfile.ProfileType.Unconfined, SeccompProfiles.requested(legacy("unconfined")).getProfileType());
        SecurityProfile local = SeccompProfiles.requested(legacy("localhost//var/lib/kubelet/seccomp/p.json"));
        assertEquals(SecurityProfile.ProfileType.Localhost, local.getProfileType());
        assertEquals("/var/lib/kubelet/seccomp/p.json", local.getLocalhostRef());
        CriException bad = assertThrows(CriException.class, () -> SeccompProfiles.requested(legacy("bogus")));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, bad.kind());
        // the field wins over the deprecated path
        assertEquals(SecurityProfile.ProfileType.Unconfined, SeccompProfiles.requested(legacy("runtime/default").toBuilder()
                .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined)).build())
                .getProfileType());
    }

    @Test
    void localhostProfilesAreCheckedBeforeAnythingIsCreated(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        SecurityProfile.Builder local = SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost);
        assertThrows(CriException.class, () -> SeccompProfiles.validate(local.setLocalhostRef("p.json").build()));
        assertThrows(CriException.class, () -> SeccompProfiles.validate(
                local.setLocalhostRef(dir.resolve("missing.json").toString()).build()));
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("p.json"), PROFILE);
        SeccompProfiles.validate(local.setLocalhostRef(file.toString()).build());
        SeccompProfiles.validate(SecurityProfile.getDefaultInstance());
    }

    @Test
    void aProfileFileIsConvertedAgainOnlyWhenItChanges(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("p.json"), PROFILE);
        SecurityProfile local = SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost)
                .setLocalhostRef(file.toString()).build();
        Spec.Seccomp first = SeccompProfiles.forContainer(local, false, "", "", List.of("CAP_CHOWN"));
        assertTrue(first == SeccompProfiles.forContainer(local, false, "", "", List.of("CAP_CHOWN")));
        assertTrue(allowed(SeccompProfiles.forContainer(local, false, "", "", List.of("CAP_SYS_ADMIN"))).contains("mount"));
        java.nio.file.Files.writeString(file, PROFILE.replace("\"write\"", "\"writev\""));
        java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(
                java.nio.file.Files.getLastModifiedTime(file).toMillis() + 5000));
        Spec.Seccomp changed = SeccompProfiles.forContainer(local, false, "", "", List.of("CAP_CHOWN"));
        assertTrue(allowed(changed).contains("writev"));
        assertFalse(allowed(changed).contains("write"));
    }
}
