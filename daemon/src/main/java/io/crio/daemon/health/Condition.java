package io.crio.daemon.health;

/** One runtime condition as reported by CRI {@code Status}: its type, whether it holds, and why not. */
public record Condition(String type, boolean status, String reason, String message) {

    public static final String RUNTIME_READY = "RuntimeReady";
    public static final String NETWORK_READY = "NetworkReady";

    public static Condition ready(String type) {
        return new Condition(type, true, "", "");
    }
}
