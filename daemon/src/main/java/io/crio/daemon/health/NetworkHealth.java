package io.crio.daemon.health;

import io.crio.cni.CniConfigLoader;
import io.crio.cni.CniNetworkWatcher;

/**
 * {@code NetworkReady}: a usable CNI network configuration exists in the network directory. The watcher
 * follows the directory, so the condition changes as soon as a configuration is added or removed.
 */
public final class NetworkHealth {

    static final String NOT_READY = "NetworkPluginNotReady";

    private final CniNetworkWatcher watcher;

    public NetworkHealth(CniNetworkWatcher watcher) {
        this.watcher = watcher;
    }

    public Condition check() {
        CniConfigLoader.Lookup lookup = watcher.current();
        if (lookup.network().isPresent()) {
            return Condition.ready(Condition.NETWORK_READY);
        }
        return new Condition(Condition.NETWORK_READY, false, NOT_READY,
                "Network plugin returns error: " + lookup.problem());
    }
}
