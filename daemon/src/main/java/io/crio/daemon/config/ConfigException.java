package io.crio.daemon.config;

/** The configuration cannot be used; the message names the file, the key and what is allowed. */
public final class ConfigException extends Exception {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
