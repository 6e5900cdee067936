package io.crio.daemon.cri;

import java.util.concurrent.atomic.AtomicReference;

/** Network settings kubelet hands over with {@code UpdateRuntimeConfig}: the node's pod CIDR(s). */
public final class PodNetworkSettings {

    private final AtomicReference<String> podCidr = new AtomicReference<>("");

    public String podCidr() {
        return podCidr.get();
    }

    /** Records the CIDR; returns the previous value. */
    String update(String cidr) {
        return podCidr.getAndSet(cidr);
    }
}
