package io.crio.e2e.registry;

import java.io.IOException;

/** A registry (or token server) answered with an unexpected HTTP status. */
public final class RegistryException extends IOException {

    private final int status;
    private final String body;

    public RegistryException(String what, int status, String body) {
        super(what + ": HTTP " + status + (body == null || body.isBlank() ? "" : ": " + abbreviate(body)));
        this.status = status;
        this.body = body;
    }

    public int status() {
        return status;
    }

    public String body() {
        return body;
    }

    private static String abbreviate(String s) {
        s = s.strip();
        return s.length() > 500 ? s.substring(0, 500) + "…" : s;
    }
}
