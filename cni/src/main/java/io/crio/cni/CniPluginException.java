package io.crio.cni;

/**
 * A CNI plugin failed: it exited with an error (reported as a CNI error object or only on stderr), produced an
 * unusable result, could not be started or did not finish in time.
 */
public final class CniPluginException extends CniException {

    /** The code of a failure that did not come with a CNI error object. */
    public static final int NO_CODE = -1;

    private final String pluginType;
    private final String networkName;
    private final String command;
    private final int code;
    private final String pluginMessage;
    private final String details;

    /**
     * @param command the CNI command, e.g. {@code ADD}
     * @param code the plugin's error code, or {@link #NO_CODE}
     * @param pluginMessage what went wrong: the plugin's {@code msg}, or a description of the failure
     * @param details the plugin's {@code details}, may be empty
     */
    public CniPluginException(String pluginType, String networkName, String command, int code, String pluginMessage,
            String details) {
        super("plugin type=\"" + pluginType + "\" name=\"" + networkName + "\" failed (" + command.toLowerCase() + "): "
                + pluginMessage + (details == null || details.isEmpty() ? "" : "; " + details));
        this.pluginType = pluginType;
        this.networkName = networkName;
        this.command = command;
        this.code = code;
        this.pluginMessage = pluginMessage;
        this.details = details == null ? "" : details;
    }

    public String pluginType() {
        return pluginType;
    }

    public String networkName() {
        return networkName;
    }

    /** The CNI command that failed: {@code ADD}, {@code DEL} or {@code CHECK}. */
    public String command() {
        return command;
    }

    /** The plugin's CNI error code, or {@link #NO_CODE} when it reported none. */
    public int code() {
        return code;
    }

    public String pluginMessage() {
        return pluginMessage;
    }

    public String details() {
        return details;
    }
}
