package io.crio.daemon.config;

/** The {@code [crio.nri]} table: Node Resource Interface plugins. */
@Doc("The crio.nri table configures NRI (Node Resource Interface) plugin support.")
public record NriSection(
        @Doc("Support NRI plugins.")
        boolean enableNri,
        @Doc("Unix socket on which externally started NRI plugins connect.")
        String nriListen,
        @Doc("Directory of NRI plugins the daemon starts itself.")
        String nriPluginDir,
        @Doc("Directory with the configuration files of those plugins.")
        String nriPluginConfigDir,
        @Doc("Refuse connections from NRI plugins that the daemon did not start.")
        boolean nriDisableConnections,
        @Doc("How long a plugin may take to register, as a duration such as \"5s\".")
        @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = DurationText.class)
        String nriPluginRegistrationTimeout,
        @Doc("How long a plugin may take to answer one request, as a duration such as \"2s\".")
        @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = DurationText.class)
        String nriPluginRequestTimeout,
        @Doc("Settings of the built-in NRI validator.")
        NriDefaultValidator defaultValidator) {

    public NriSection {
        nriListen = Records.str(nriListen);
        nriPluginDir = Records.str(nriPluginDir);
        nriPluginConfigDir = Records.str(nriPluginConfigDir);
        nriPluginRegistrationTimeout = Records.str(nriPluginRegistrationTimeout);
        nriPluginRequestTimeout = Records.str(nriPluginRequestTimeout);
        defaultValidator = Records.orDefault(defaultValidator, NriDefaultValidator::defaults);
    }

    public static NriSection defaults() {
        return new NriSection(
                true,
                "/var/run/nri/nri.sock",
                "/opt/nri/plugins",
                "/etc/nri/conf.d",
                false,
                "5s",
                "2s",
                NriDefaultValidator.defaults());
    }

    void validate(Problems problems) {
        String p = "crio.nri.";
        if (!Durations.isValidTomlDuration(nriPluginRegistrationTimeout)) {
            problems.add(p + "nri_plugin_registration_timeout", "invalid duration \"" + nriPluginRegistrationTimeout
                    + "\", allowed: a duration such as \"5s\"");
        }
        if (!Durations.isValidTomlDuration(nriPluginRequestTimeout)) {
            problems.add(p + "nri_plugin_request_timeout", "invalid duration \"" + nriPluginRequestTimeout
                    + "\", allowed: a duration such as \"2s\"");
        }
    }
}
