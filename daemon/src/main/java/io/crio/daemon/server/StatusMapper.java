package io.crio.daemon.server;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

/** The one place where failures become gRPC statuses (see CONVENTIONS.md for the table). */
public final class StatusMapper {

    /** Descriptions travel in a header; long ones (echoed input) are cut to this many characters. */
    static final int MAX_DESCRIPTION = 1024;

    private StatusMapper() {}

    public static Status toStatus(Throwable t) {
        Status s = map(t);
        String d = s.getDescription();
        if (d != null && d.length() > MAX_DESCRIPTION) {
            s = s.withDescription(d.substring(0, MAX_DESCRIPTION) + "…(" + d.length() + " chars)");
        }
        return s;
    }

    private static Status map(Throwable t) {
        if (t instanceof StatusRuntimeException sre) {
            return sre.getStatus();
        }
        if (t instanceof StatusException se) {
            return se.getStatus();
        }
        if (t instanceof CriException ce) {
            Status.Code code = switch (ce.kind()) {
                case NOT_FOUND -> Status.Code.NOT_FOUND;
                case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
                case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
                case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
                case UNAVAILABLE -> Status.Code.UNAVAILABLE;
                case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
                case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
                case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
                case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
                case CANCELLED -> Status.Code.CANCELLED;
                case INTERNAL -> Status.Code.INTERNAL;
            };
            return Status.fromCode(code).withDescription(ce.getMessage()).withCause(ce.getCause());
        }
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return Status.INTERNAL.withDescription(u.getMessage()).withCause(u.getCause());
        }
        String what = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return Status.INTERNAL.withDescription(what).withCause(t);
    }
}
