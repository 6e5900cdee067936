package io.crio.daemon.cli;

/** A command line that cannot be parsed: an unknown option, a missing or malformed value. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }
}
