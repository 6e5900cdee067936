package io.crio.daemon.server;

/**
 * A request that cannot be served for a reason the client should know, classified so that one place
 * ({@link StatusMapper}) turns it into the gRPC status code kubelet expects.
 */
public class CriException extends RuntimeException {

    /** Why the request failed; each maps to one gRPC status code. */
    public enum Kind {
        NOT_FOUND,
        ALREADY_EXISTS,
        INVALID_ARGUMENT,
        FAILED_PRECONDITION,
        UNAVAILABLE,
        DEADLINE_EXCEEDED,
        RESOURCE_EXHAUSTED,
        UNAUTHENTICATED,
        PERMISSION_DENIED,
        CANCELLED,
        INTERNAL
    }

    private final Kind kind;

    public CriException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public CriException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static CriException invalidArgument(String message) {
        return new CriException(Kind.INVALID_ARGUMENT, message);
    }

    public static CriException notFound(String message) {
        return new CriException(Kind.NOT_FOUND, message);
    }

    public static CriException failedPrecondition(String message) {
        return new CriException(Kind.FAILED_PRECONDITION, message);
    }
}
