package io.crio.image;

import java.util.List;
import java.util.Optional;

/** Chooses the manifest of an index for a platform (os, architecture and, where it matters, variant). */
public record PlatformMatcher(String os, String architecture, String variant) {

    /** The platform this daemon runs on. */
    public static PlatformMatcher host() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> new PlatformMatcher("linux", "amd64", "");
            case "aarch64", "arm64" -> new PlatformMatcher("linux", "arm64", "v8");
            case "arm" -> new PlatformMatcher("linux", "arm", "v7");
            default -> new PlatformMatcher("linux", arch, "");
        };
    }

    public Optional<Descriptor> select(List<Descriptor> manifests) {
        Descriptor fallback = null;
        for (Descriptor d : manifests) {
            Descriptor.Platform p = d.platform();
            if (p == null || !os.equals(p.os()) || !architecture.equals(p.architecture())) {
                continue;
            }
            String v = p.variant() == null ? "" : p.variant();
            if (v.equals(variant) || (architecture.equals("arm64") && (v.isEmpty() || v.equals("v8")) && variant.equals("v8"))) {
                return Optional.of(d);
            }
            if (fallback == null && (v.isEmpty() || variant.isEmpty())) {
                fallback = d;
            }
        }
        return Optional.ofNullable(fallback);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
    }
}
