package io.crio.image;

/** A pull or lookup that failed for a reason the caller can classify. */
public class ImageException extends Exception {

    /** What kind of failure it is; the daemon maps each to a gRPC status. */
    public enum Kind {
        INVALID_REFERENCE,
        NOT_FOUND,
        UNAUTHORIZED,
        BLOCKED,
        UNSUPPORTED,
        INVALID_CONTENT,
        NO_MATCHING_PLATFORM,
        TRANSIENT,
        CANCELLED
    }

    private final Kind kind;

    public ImageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ImageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static ImageException invalid(String message) {
        return new ImageException(Kind.INVALID_CONTENT, message);
    }

    static ImageException unsupported(String message) {
        return new ImageException(Kind.UNSUPPORTED, message);
    }
}
