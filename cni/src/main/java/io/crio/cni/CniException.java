package io.crio.cni;

/** Setting up, checking or tearing down a container's network failed. */
public class CniException extends Exception {

    public CniException(String message) {
        super(message);
    }

    public CniException(String message, Throwable cause) {
        super(message, cause);
    }
}
