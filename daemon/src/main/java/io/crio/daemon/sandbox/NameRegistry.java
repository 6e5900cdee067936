package io.crio.daemon.sandbox;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Names reserved by pods and containers: a name belongs to one ID until released. */
public final class NameRegistry {

    private final ConcurrentHashMap<String, String> byName = new ConcurrentHashMap<>();

    /** Reserves {@code name} for {@code id}; returns the ID already holding it, if any (then nothing changes). */
    public Optional<String> reserve(String name, String id) {
        String holder = byName.putIfAbsent(name, id);
        return holder == null || holder.equals(id) ? Optional.empty() : Optional.of(holder);
    }

    /** Releases {@code name} if {@code id} holds it. */
    public void release(String name, String id) {
        byName.remove(name, id);
    }

    public Optional<String> holder(String name) {
        return Optional.ofNullable(byName.get(name));
    }
}
