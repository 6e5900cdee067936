package io.crio.daemon.health;

import io.crio.daemon.config.RuntimeHandler;
import io.crio.oci.BinaryVersionProbe;
import io.crio.oci.ExecutableLookup;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code RuntimeReady}: the default runtime handler's OCI runtime binary exists and answers
 * {@code --version}.
 */
public final class RuntimeHealth {

    static final String NOT_READY = "RuntimeNotReady";

    private final ExecutableLookup lookup;
    private final BinaryVersionProbe probe;

    public RuntimeHealth(ExecutableLookup lookup, BinaryVersionProbe probe) {
        this.lookup = lookup;
        this.probe = probe;
    }

    public Condition check(String handlerName, RuntimeHandler handler) {
        if (handler == null) {
            return new Condition(Condition.RUNTIME_READY, false, NOT_READY,
                    "default runtime \"" + handlerName + "\" is not configured in [crio.runtime.runtimes]");
        }
        Optional<Path> binary = lookup.find(handler.runtimePath(), handlerName);
        if (binary.isEmpty()) {
            String wanted = handler.runtimePath().isEmpty() ? handlerName + " in $PATH" : handler.runtimePath();
            return new Condition(Condition.RUNTIME_READY, false, NOT_READY,
                    "OCI runtime of handler \"" + handlerName + "\" not found: " + wanted);
        }
        BinaryVersionProbe.Result r = probe.probe(binary.get());
        if (!r.ok()) {
            return new Condition(Condition.RUNTIME_READY, false, NOT_READY, r.detail());
        }
        return Condition.ready(Condition.RUNTIME_READY);
    }

}
