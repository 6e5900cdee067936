package io.crio.daemon.config;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Normalisation used by the configuration records' constructors. A table written only partly in TOML
 * (e.g. a new {@code [crio.runtime.runtimes.kata]}) leaves the other components null; they become the
 * empty value of their type, as an unset option is in CRI-O. Collections become immutable, and maps
 * sorted so that rendering is stable.
 */
final class Records {

    private Records() {}

    static String str(String s) {
        return s == null ? "" : s;
    }

    static List<String> list(List<String> l) {
        return l == null ? List.of() : List.copyOf(l);
    }

    /** An unmodifiable copy sorted by key; null becomes the empty map. */
    static <V> SortedMap<String, V> sortedMap(Map<String, V> m) {
        if (m == null || m.isEmpty()) {
            return Collections.emptySortedMap();
        }
        TreeMap<String, V> copy = new TreeMap<>();
        m.forEach((k, v) -> copy.put(k, java.util.Objects.requireNonNull(v, () -> "no value for " + k)));
        return Collections.unmodifiableSortedMap(copy);
    }

    static <T> T orDefault(T value, Supplier<T> defaults) {
        return value == null ? defaults.get() : value;
    }
}
