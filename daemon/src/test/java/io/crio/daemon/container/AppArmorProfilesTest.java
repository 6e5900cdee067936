package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.LinuxContainerSecurityContext;
import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppArmorProfilesTest {

    /** A host with AppArmor whose loaded profiles the test controls. */
    static final class FakeHost implements AppArmorProfiles.Host {
        final boolean enabled;
        final Set<String> loaded = new HashSet<>();
        int loads;

        FakeHost(boolean enabled, String... loaded) {
            this.enabled = enabled;
            this.loaded.addAll(Set.of(loaded));
        }

        @Override
        public boolean enabled() {
            return enabled;
        }

        @Override
        public boolean loaded(String profile) {
            return loaded.contains(profile);
        }

        @Override
        public void loadBuiltIn() {
            loads++;
            loaded.add(AppArmorProfiles.BUILT_IN);
        }
    }

    static LinuxContainerSecurityContext field(SecurityProfile.ProfileType type, String ref) {
        return LinuxContainerSecurityContext.newBuilder().setApparmor(SecurityProfile.newBuilder().setProfileType(type)
                .setLocalhostRef(ref)).build();
    }

    static LinuxContainerSecurityContext legacy(String value) {
        return LinuxContainerSecurityContext.newBuilder().setApparmorProfile(value).build();
    }

    @Test
    void aHostWithoutAppArmorGetsNoProfileAndRefusesNothing() {
        FakeHost none = new FakeHost(false);
        assertNull(AppArmorProfiles.forContainer(LinuxContainerSecurityContext.getDefaultInstance(), "crio-default", none));
        assertNull(AppArmorProfiles.forContainer(field(SecurityProfile.ProfileType.Localhost, "not-loaded"), "", none));
        assertEquals(0, none.loads);
    }

    @Test
    void theRuntimeDefaultIsTheConfiguredProfileAndTheBuiltInIsLoadedOnce() {
        FakeHost host = new FakeHost(true);
        assertEquals("crio-default", AppArmorProfiles.forContainer(LinuxContainerSecurityContext.getDefaultInstance(),
                "crio-default", host));
        assertEquals("crio-default", AppArmorProfiles.forContainer(legacy("runtime/default"), "crio-default", host));
        assertEquals(1, host.loads);
        assertNull(AppArmorProfiles.forContainer(LinuxContainerSecurityContext.getDefaultInstance(), "unconfined", host));
        CriException missing = assertThrows(CriException.class, () -> AppArmorProfiles.forContainer(
                LinuxContainerSecurityContext.getDefaultInstance(), "site-default", host));
        assertEquals(CriException.Kind.FAILED_PRECONDITION, missing.kind());
    }

    @Test
    void unconfinedPrivilegedAndLocalhostProfiles() {
        FakeHost host = new FakeHost(true, "crio-default", "custom");
        assertNull(AppArmorProfiles.forContainer(field(SecurityProfile.ProfileType.Unconfined, ""), "crio-default", host));
        assertNull(AppArmorProfiles.forContainer(legacy("unconfined"), "crio-default", host));
        assertNull(AppArmorProfiles.forContainer(LinuxContainerSecurityContext.newBuilder().setPrivileged(true).build(),
                "crio-default", host));
        assertEquals("custom", AppArmorProfiles.forContainer(field(SecurityProfile.ProfileType.Localhost, "custom"), "", host));
        assertEquals("custom", AppArmorProfiles.forContainer(legacy("localhost/custom"), "", host));
        CriException notLoaded = assertThrows(CriException.class, () -> AppArmorProfiles.forContainer(
                field(SecurityProfile.ProfileType.Localhost, "absent"), "", host));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, notLoaded.kind());
        assertThrows(CriException.class, () -> AppArmorProfiles.forContainer(legacy("bogus"), "", host));
    }

    @Test
    void theKernelHostReadsSecurityfsAndLoadsThroughTheParser(@TempDir Path dir) throws IOException {
        Path enabled = Files.writeString(dir.resolve("enabled"), "Y\n");
        Path profiles = Files.writeString(dir.resolve("profiles"), "custom (enforce)\n/usr/bin/x (complain)\n");
        Path received = dir.resolve("received");
        Path parser = Files.writeString(dir.resolve("parser"), "#!/bin/sh\necho \"$@\" > " + dir.resolve("args")
                + "\ncat > " + received + "\n");
        Files.setPosixFilePermissions(parser, PosixFilePermissions.fromString("rwx------"));
        AppArmorProfiles.KernelHost host = new AppArmorProfiles.KernelHost(enabled, profiles, parser.toString());
        assertTrue(host.enabled());
        assertTrue(host.loaded("custom"));
        assertTrue(host.loaded("/usr/bin/x"));
        assertFalse(host.loaded("crio-default"));
        host.loadBuiltIn();
        assertTrue(host.loaded("crio-default"));
        assertEquals("-Kr", Files.readString(dir.resolve("args")).trim());
        assertTrue(Files.readString(received).contains("profile crio-default flags=(attach_disconnected,mediate_deleted)"));
        Files.writeString(enabled, "N\n");
        assertFalse(host.enabled());
        assertFalse(new AppArmorProfiles.KernelHost(dir.resolve("absent"), profiles, parser.toString()).enabled());

        Path failing = Files.writeString(dir.resolve("failing"), "#!/bin/sh\necho 'syntax error' >&2\nexit 1\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwx------"));
        IOException e = assertThrows(IOException.class,
                () -> new AppArmorProfiles.KernelHost(enabled, profiles, failing.toString()).loadBuiltIn());
        assertTrue(e.getMessage().contains("syntax error"), e.getMessage());
    }
}
