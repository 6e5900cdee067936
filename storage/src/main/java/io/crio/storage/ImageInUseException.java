package io.crio.storage;

/** An image cannot be removed because a container still uses it. */
public final class ImageInUseException extends IllegalStateException {

    private final String imageId;
    private final String containerId;

    public ImageInUseException(String imageId, String containerId) {
        super("image " + imageId + " is used by container " + containerId);
        this.imageId = imageId;
        this.containerId = containerId;
    }

    public String imageId() {
        return imageId;
    }

    public String containerId() {
        return containerId;
    }
}
