package io.crio.daemon.container;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.oci.spec.Spec;

/** The {@code linux.resources} JSON {@code runc update --resources} reads (devices left out: they cannot change). */
final class UpdateJson {

    private UpdateJson() {}

    static byte[] of(Spec.Resources resources) {
        try {
            ObjectNode n = ContainerStore.JSON.valueToTree(resources);
            n.remove("devices");
            return ContainerStore.JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
