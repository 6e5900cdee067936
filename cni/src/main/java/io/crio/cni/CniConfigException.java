package io.crio.cni;

/** A CNI configuration file that cannot be used, with the reason. */
public final class CniConfigException extends Exception {

    public CniConfigException(String message) {
        super(message);
    }
}
