package io.crio.daemon.system;

import sun.misc.Signal;

/** Installs the daemon's signal handlers: SIGHUP reloads, SIGTERM and SIGINT shut down. */
public final class Signals {

    private Signals() {}

    public static void onReload(Runnable action) {
        Signal.handle(new Signal("HUP"), s -> Thread.ofPlatform().name("reload").start(action));
    }

    public static void onTerminate(Runnable action) {
        Signal.handle(new Signal("TERM"), s -> Thread.ofPlatform().name("shutdown").start(action));
        Signal.handle(new Signal("INT"), s -> Thread.ofPlatform().name("shutdown").start(action));
    }
}
