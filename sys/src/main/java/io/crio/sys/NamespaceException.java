package io.crio.sys;

import java.io.IOException;

/**
 * A namespace operation that failed part-way, naming the step that failed ({@code "write sysctl
 * net.ipv4.ip_forward=1"}) and why ({@code "Permission denied"}).
 */
public final class NamespaceException extends RuntimeException {

    private final String step;
    private final int errno;

    public NamespaceException(String step, Throwable cause) {
        super(step + ": " + reason(cause), cause);
        this.step = step;
        this.errno = cause instanceof SyscallException s ? s.errno() : 0;
    }

    /** What was being done, without the reason. */
    public String step() {
        return step;
    }

    /** The errno of the failed system call, or 0 when the cause was not one. */
    public int errno() {
        return errno;
    }

    private static String reason(Throwable cause) {
        if (cause instanceof SyscallException s) {
            return Libc.strerror(s.errno());
        }
        if (cause instanceof IOException && cause.getMessage() != null) {
            return cause.getClass().getSimpleName() + " " + cause.getMessage();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
    }
}
