package io.crio.daemon.cri;

import io.crio.daemon.server.CriException;
import io.crio.image.ImageException;

/** How image failures are classified for the CRI. */
final class ImageErrors {

    private ImageErrors() {}

    static CriException toCri(ImageException e) {
        CriException.Kind kind = switch (e.kind()) {
            case INVALID_REFERENCE -> CriException.Kind.INVALID_ARGUMENT;
            case NOT_FOUND -> CriException.Kind.NOT_FOUND;
            case UNAUTHORIZED -> CriException.Kind.UNAUTHENTICATED;
            case BLOCKED -> CriException.Kind.PERMISSION_DENIED;
            case UNSUPPORTED, NO_MATCHING_PLATFORM -> CriException.Kind.FAILED_PRECONDITION;
            case TRANSIENT -> CriException.Kind.UNAVAILABLE;
            case CANCELLED -> CriException.Kind.CANCELLED;
            case INVALID_CONTENT -> CriException.Kind.INTERNAL;
        };
        return new CriException(kind, e.getMessage(), e);
    }
}
