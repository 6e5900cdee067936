package io.crio.daemon.container;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.Signal;
import java.util.Locale;

/** The signal that asks a container to stop: the CRI's stop_signal, else the image's StopSignal, else TERM. */
final class StopSignals {

    private StopSignals() {}

    static String of(ContainerConfig c, String imageStopSignal) {
        if (c.getStopSignal() != Signal.SIGNAL_RUNTIME_DEFAULT && c.getStopSignal() != Signal.UNRECOGNIZED) {
            return c.getStopSignal().name().substring("SIGNAL_SIG".length());
        }
        String s = imageStopSignal.trim().toUpperCase(Locale.ROOT);
        if (s.isEmpty()) {
            return "TERM";
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return s;
        }
        return s.startsWith("SIG") ? s.substring(3) : s;
    }
}
