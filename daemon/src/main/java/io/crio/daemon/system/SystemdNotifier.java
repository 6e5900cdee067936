package io.crio.daemon.system;

import io.crio.sys.UnixDatagram;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The systemd notification protocol ({@code Type=notify}): state lines sent as one datagram to the socket
 * named by {@code $NOTIFY_SOCKET}. Without that variable, nothing is sent.
 */
public final class SystemdNotifier {

    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);

    private final String socket;

    public SystemdNotifier(String socket) {
        this.socket = socket == null ? "" : socket;
    }

    public static SystemdNotifier fromEnvironment() {
        return new SystemdNotifier(System.getenv("NOTIFY_SOCKET"));
    }

    public boolean enabled() {
        return !socket.isEmpty();
    }

    /** Sends a state such as {@code READY=1}; failures are logged, never thrown. */
    public void notify(String state) {
        if (!enabled()) {
            return;
        }
        try {
            UnixDatagram.send(socket, state.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            log.warn("Could not notify systemd ({}) at {}: {}", state.replace('\n', ' '), socket, e.getMessage());
        }
    }

    public void ready(String status) {
        notify("READY=1\nSTATUS=" + status);
    }

    public void reloading() {
        notify("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    public void stopping() {
        notify("STOPPING=1");
    }
}
