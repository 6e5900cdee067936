package io.crio.daemon.sandbox;

/** The containers of a pod, as the pod's teardown needs them: stopped before the pod stops, removed with it. */
public interface PodContainers {

    void stopAll(String sandboxId);

    void removeAll(String sandboxId);
}
