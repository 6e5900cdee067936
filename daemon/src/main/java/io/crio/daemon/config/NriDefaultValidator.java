package io.crio.daemon.config;

import java.util.List;

/** The {@code [crio.nri.default_validator]} table: the built-in checks on what NRI plugins may change. */
@Doc({"The built-in NRI validator can refuse container changes requested by NRI plugins,",
      "and can refuse containers that required plugins have not seen."})
public record NriDefaultValidator(
        @Doc("Turn the built-in validator on.")
        boolean nriEnableDefaultValidator,
        @Doc("Refuse plugin requests that inject OCI hooks.")
        boolean nriValidatorRejectOciHookAdjustment,
        @Doc("Refuse plugin requests that change the runtime's default seccomp profile.")
        boolean nriValidatorRejectRuntimeDefaultSeccompAdjustment,
        @Doc("Refuse plugin requests that change the seccomp policy of unconfined containers.")
        boolean nriValidatorRejectUnconfinedSeccompAdjustment,
        @Doc("Refuse plugin requests that change a custom (localhost) seccomp profile.")
        boolean nriValidatorRejectCustomSeccompAdjustment,
        @Doc("Refuse plugin requests that change a container's Linux namespaces.")
        boolean nriValidatorRejectNamespaceAdjustment,
        @Doc("Plugins that must have processed a container's creation for it to be allowed.")
        List<String> nriValidatorRequiredPlugins,
        @Doc({"Annotation with which a pod or container may opt out of requiring the plugins",
              "above. Empty means none can."})
        String nriValidatorTolerateMissingPluginsAnnotation) {

    public NriDefaultValidator {
        nriValidatorRequiredPlugins = Records.list(nriValidatorRequiredPlugins);
        nriValidatorTolerateMissingPluginsAnnotation = Records.str(nriValidatorTolerateMissingPluginsAnnotation);
    }

    public static NriDefaultValidator defaults() {
        return new NriDefaultValidator(false, false, false, false, false, false, List.of(), "");
    }
}
