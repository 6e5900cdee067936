package io.crio.storage;

import java.io.IOException;

/** No container with that ID is in the store. */
public final class ContainerNotFoundException extends IOException {

    public ContainerNotFoundException(String id) {
        super("container " + id + " is not in the store");
    }
}
