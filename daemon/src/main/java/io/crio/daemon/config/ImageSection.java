package io.crio.daemon.config;

import java.util.List;
import java.util.regex.Pattern;

/** The {@code [crio.image]} table: pulling and handling images. */
@Doc({"The crio.image table covers pulling and using images. Registries (mirrors, blocked",
      "and insecure ones, short-name search) are set in containers-registries.conf(5)."})
public record ImageSection(
        @Doc("Transport put in front of image names that do not name one, e.g. \"docker://\".")
        String defaultTransport,
        @Doc({"Registry credentials file used for every pull, in the format of kubelet's",
              "config.json. Empty uses none beyond what the pull request carries."})
        String globalAuthFile,
        @Doc({"Absolute directory where per-namespace credential files written by a credential",
              "provider are picked up; they take precedence over global_auth_file."})
        String namespacedAuthDir,
        @Doc("Image the infra (pause) containers of pods are made from. Reloadable.")
        String pauseImage,
        @Doc({"Credentials file used only for pulling pause_image, in the format of kubelet's",
              "config.json. Empty means the usual credentials. Reloadable."})
        String pauseImageAuthFile,
        @Doc({"Command run in infra containers to keep them alive. Empty uses the pause image's",
              "own entrypoint and command. Reloadable."})
        String pauseCommand,
        @Doc({"Images (and OCI artifacts) kubelet's image garbage collection must keep: exact",
              "names, names ending in *, or names with * at both ends to match a keyword."})
        List<String> pinnedImages,
        @Doc({"Signature policy file for pulls. Empty uses the system policy",
              "(/etc/containers/policy.json), which is usually what you want."})
        String signaturePolicy,
        @Doc({"Absolute directory of per-namespace signature policies (<namespace>.json); when a",
              "pull has no namespace or no such file exists, signature_policy applies."})
        String signaturePolicyDir,
        @Doc("Deprecated and ignored: mark registries insecure in registries.conf instead.")
        List<String> insecureRegistries,
        @Doc({"What to do with volumes an image declares: \"mkdir\" (create a directory in the",
              "container), \"bind\" (bind-mount a fresh directory) or \"ignore\"."})
        String imageVolumes,
        @Doc("Directory for large temporary files during pulls. Empty uses the system default.")
        String bigFilesTemporaryDir,
        @Doc("Re-read registries configuration automatically when registries.conf.d changes.")
        boolean autoReloadRegistries,
        @Doc({"Cancel a pull that makes no progress for this long (a duration such as \"2m\");",
              "progress is also reported every tenth of it. \"0s\" turns both off."})
        @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = DurationText.class)
        String pullProgressTimeout,
        @Doc("Support mounting OCI artifacts into containers; when false such mounts fail.")
        boolean ociArtifactMountSupport,
        @Doc({"Short image names: \"enforcing\" fails a pull when the name is ambiguous,",
              "\"disabled\" takes the first match."})
        String shortNameMode,
        @Doc({"How many layers of one pull are downloaded and unpacked at the same time.",
              "0 means the default, 6."})
        int maxParallelDownloads) {

    private static final Pattern REFERENCE = Pattern.compile(
            "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
                    + "(?::[0-9]+)?/)?"
                    + "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                    + "(?::[\\w][\\w.-]{0,127})?"
                    + "(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?");

    public ImageSection {
        defaultTransport = Records.str(defaultTransport);
        globalAuthFile = Records.str(globalAuthFile);
        namespacedAuthDir = Records.str(namespacedAuthDir);
        pauseImage = Records.str(pauseImage);
        pauseImageAuthFile = Records.str(pauseImageAuthFile);
        pauseCommand = Records.str(pauseCommand);
        pinnedImages = Records.list(pinnedImages);
        signaturePolicy = Records.str(signaturePolicy);
        signaturePolicyDir = Records.str(signaturePolicyDir);
        insecureRegistries = Records.list(insecureRegistries);
        imageVolumes = Records.str(imageVolumes);
        bigFilesTemporaryDir = Records.str(bigFilesTemporaryDir);
        pullProgressTimeout = Records.str(pullProgressTimeout);
        shortNameMode = Records.str(shortNameMode);
    }

    public static ImageSection defaults() {
        return new ImageSection(
                "docker://",
                "",
                "/etc/crio/auth",
                "registry.k8s.io/pause:3.10.1",
                "",
                "/pause",
                List.of(),
                "",
                "/etc/crio/policies",
                List.of(),
                "mkdir",
                "",
                false,
                "0s",
                true,
                "enforcing",
                6);
    }

    /** The parallel download limit in force. */
    public int effectiveMaxParallelDownloads() {
        return maxParallelDownloads <= 0 ? 6 : maxParallelDownloads;
    }

    /** Whether {@code ref} is a syntactically valid image reference ([registry/]repository[:tag][@digest]). */
    static boolean isImageReference(String ref) {
        return !ref.isEmpty() && REFERENCE.matcher(ref).matches();
    }

    void validate(Problems problems) {
        String p = "crio.image.";
        problems.requireOneOf(p + "image_volumes", imageVolumes, "mkdir", "bind", "ignore");
        problems.requireRange(p + "max_parallel_downloads", maxParallelDownloads, 0, 64);
        Formats.requireOneOfOrEmpty(problems, p + "short_name_mode", shortNameMode, "enforcing", "disabled");
        if (!isImageReference(pauseImage)) {
            problems.add(p + "pause_image", "invalid value \"" + pauseImage
                    + "\", allowed: an image reference such as \"registry.k8s.io/pause:3.10.1\"");
        }
        if (!Formats.isAbsolute(signaturePolicyDir)) {
            problems.add(p + "signature_policy_dir", "invalid value \"" + signaturePolicyDir
                    + "\", allowed: an absolute path");
        }
        if (!Formats.isAbsolute(namespacedAuthDir)) {
            problems.add(p + "namespaced_auth_dir", "invalid value \"" + namespacedAuthDir
                    + "\", allowed: an absolute path");
        }
        if (!Durations.isValidTomlDuration(pullProgressTimeout)) {
            problems.add(p + "pull_progress_timeout", "invalid duration \"" + pullProgressTimeout
                    + "\", allowed: a duration such as \"0s\", \"30s\" or \"2m\"");
        }
    }
}
