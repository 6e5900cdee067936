package io.crio.daemon.config;

/** The {@code [crio.checkpoint_restore]} table: container checkpoint and restore through CRIU. */
@Doc("The crio.checkpoint_restore table controls checkpointing and restoring containers with CRIU.")
public record CheckpointRestoreSection(
        @Doc({"How much checkpoint/restore support is on: \"none\", \"checkpoint_only\" or",
              "\"checkpoint_restore\". It is off anyway when the criu binary is not in $PATH."})
        String containerLevelEnabled) {

    public static final String LEVEL_NONE = "none";
    public static final String LEVEL_CHECKPOINT_ONLY = "checkpoint_only";
    public static final String LEVEL_CHECKPOINT_RESTORE = "checkpoint_restore";

    public CheckpointRestoreSection {
        containerLevelEnabled = Records.str(containerLevelEnabled);
    }

    public static CheckpointRestoreSection defaults() {
        return new CheckpointRestoreSection(LEVEL_CHECKPOINT_RESTORE);
    }

    void validate(Problems problems) {
        problems.requireOneOf("crio.checkpoint_restore.container_level_enabled", containerLevelEnabled,
                LEVEL_NONE, LEVEL_CHECKPOINT_ONLY, LEVEL_CHECKPOINT_RESTORE);
    }
}
