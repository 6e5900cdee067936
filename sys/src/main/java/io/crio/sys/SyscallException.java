package io.crio.sys;

/** A failed C library call, with the call's name and its errno. */
public final class SyscallException extends RuntimeException {

    private final int errno;

    public SyscallException(String call, int errno, String description) {
        super(call + ": " + description + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
