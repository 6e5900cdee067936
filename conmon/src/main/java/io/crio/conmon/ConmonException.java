package io.crio.conmon;

/** conmon or the OCI runtime it drove could not create the container; the message is theirs. */
public final class ConmonException extends Exception {

    public ConmonException(String message) {
        super(message);
    }

    public ConmonException(String message, Throwable cause) {
        super(message, cause);
    }
}
