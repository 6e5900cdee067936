package io.crio.daemon.health;

import io.crio.cni.CniConfigLoader;
import io.crio.daemon.config.NetworkSection;
import java.nio.file.Path;

/** {@code NetworkReady}: a usable CNI network configuration exists in the network directory. */
public final class NetworkHealth {

    static final String NOT_READY = "NetworkPluginNotReady";

    public Condition check(NetworkSection network) {
        CniConfigLoader loader = new CniConfigLoader(Path.of(network.networkDir()),
                network.effectivePluginDirs().stream().map(Path::of).toList());
        CniConfigLoader.Lookup lookup = loader.findDefault(network.cniDefaultNetwork());
        if (lookup.network().isPresent()) {
            return Condition.ready(Condition.NETWORK_READY);
        }
        return new Condition(Condition.NETWORK_READY, false, NOT_READY,
                "Network plugin returns error: " + lookup.problem());
    }

}
