package io.crio.daemon.config;

import java.util.ArrayList;
import java.util.List;

/** Collects validation problems, each tied to the dotted TOML key it is about. */
public final class Problems {

    /** One invalid value: the dotted key (e.g. {@code crio.runtime.cgroup_manager}) and what is allowed. */
    public record Problem(String key, String message) {}

    private final List<Problem> problems = new ArrayList<>();

    public void add(String key, String message) {
        problems.add(new Problem(key, message));
    }

    /** Adds a problem unless {@code value} is one of {@code allowed}. */
    public void requireOneOf(String key, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        add(key, "invalid value \"" + value + "\", allowed: " + String.join(", ", allowed));
    }

    public void requireRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            add(key, "invalid value " + value + ", allowed: " + min + " to " + max);
        }
    }

    public List<Problem> all() {
        return List.copyOf(problems);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }
}
