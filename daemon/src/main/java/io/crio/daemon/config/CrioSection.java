package io.crio.daemon.config;

import java.util.List;

/** The {@code [crio]} table: storage locations and files of the daemon itself, and all the other tables. */
@Doc({"The crio table holds where images, containers and the daemon's own state are kept.",
      "The storage defaults are the usual ones of containers-storage.conf(5); see that page",
      "for the meaning of storage drivers and their options."})
public record CrioSection(
        @Doc("Directory holding persistent data: image layers, container layers and metadata.")
        String root,
        @Doc("Directory holding transient state, normally on a tmpfs that is cleared on reboot.")
        String runroot,
        @Doc({"Separate directory for pulled images. Empty keeps images under root together",
              "with everything else."})
        String imagestore,
        @Doc({"Storage driver for image and container layers, such as \"overlay\".",
              "Empty lets the storage library choose."})
        String storageDriver,
        @Doc({"Options handed to the storage driver, e.g. \"overlay.mountopt=nodev\".",
              "See containers-storage.conf(5) for the ones each driver knows."})
        List<String> storageOption,
        @Doc({"Directory for container logs when kubelet does not name one itself.",
              "Must be an absolute path."})
        String logDir,
        @Doc({"File recording the daemon version on a tmpfs; when it is missing (after a",
              "reboot) containers from before the reboot are wiped."})
        String versionFile,
        @Doc({"File recording the daemon version on persistent storage; when it shows an",
              "older version (after an upgrade) images are wiped. Empty disables this."})
        String versionFilePersist,
        @Doc({"Marker written when the daemon shuts down cleanly. If it is missing at the next",
              "start, the storage may not have been synced and is wiped."})
        String cleanShutdownFile,
        @Doc({"Let the daemon itself wipe containers after a reboot and images after an upgrade",
              "when it starts. When false, run \"crio wipe\" before starting instead."})
        boolean internalWipe,
        @Doc({"At start after an unclean shutdown, check the image and container storage for",
              "damage and try to repair it."})
        boolean internalRepair,
        ApiSection api,
        RuntimeSection runtime,
        CheckpointRestoreSection checkpointRestore,
        ImageSection image,
        NetworkSection network,
        MetricsSection metrics,
        TracingSection tracing,
        NriSection nri,
        StatsSection stats) {

    public CrioSection {
        root = Records.str(root);
        runroot = Records.str(runroot);
        imagestore = Records.str(imagestore);
        storageDriver = Records.str(storageDriver);
        storageOption = Records.list(storageOption);
        logDir = Records.str(logDir);
        versionFile = Records.str(versionFile);
        versionFilePersist = Records.str(versionFilePersist);
        cleanShutdownFile = Records.str(cleanShutdownFile);
        api = Records.orDefault(api, ApiSection::defaults);
        runtime = Records.orDefault(runtime, RuntimeSection::defaults);
        checkpointRestore = Records.orDefault(checkpointRestore, CheckpointRestoreSection::defaults);
        image = Records.orDefault(image, ImageSection::defaults);
        network = Records.orDefault(network, NetworkSection::defaults);
        metrics = Records.orDefault(metrics, MetricsSection::defaults);
        tracing = Records.orDefault(tracing, TracingSection::defaults);
        nri = Records.orDefault(nri, NriSection::defaults);
        stats = Records.orDefault(stats, StatsSection::defaults);
    }

    public static CrioSection defaults() {
        return new CrioSection(
                "/var/lib/containers/storage",
                "/run/containers/storage",
                "",
                "overlay",
                List.of(),
                "/var/log/crio/pods",
                "/var/run/crio/version",
                "",
                "/var/lib/crio/clean.shutdown",
                true,
                true,
                ApiSection.defaults(),
                RuntimeSection.defaults(),
                CheckpointRestoreSection.defaults(),
                ImageSection.defaults(),
                NetworkSection.defaults(),
                MetricsSection.defaults(),
                TracingSection.defaults(),
                NriSection.defaults(),
                StatsSection.defaults());
    }

    /**
     * The checkpoint/restore level in force: {@code none} when the deprecated
     * {@code crio.runtime.enable_criu_support} is false, else {@code crio.checkpoint_restore.container_level_enabled}.
     */
    public String effectiveCheckpointRestoreLevel() {
        return runtime.enableCriuSupport() ? checkpointRestore.containerLevelEnabled()
                : CheckpointRestoreSection.LEVEL_NONE;
    }

    void validate(Problems problems) {
        if (root.isBlank()) {
            problems.add("crio.root", "must not be empty: give the directory for persistent storage");
        }
        if (runroot.isBlank()) {
            problems.add("crio.runroot", "must not be empty: give the directory for transient state");
        }
        if (!Formats.isAbsolute(logDir)) {
            problems.add("crio.log_dir", "invalid value \"" + logDir + "\", allowed: an absolute path");
        }
        api.validate(problems);
        runtime.validate(problems);
        checkpointRestore.validate(problems);
        image.validate(problems);
        network.validate(problems);
        metrics.validate(problems);
        tracing.validate(problems);
        nri.validate(problems);
        stats.validate(problems);
    }
}
