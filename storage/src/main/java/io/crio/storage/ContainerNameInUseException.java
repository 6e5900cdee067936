package io.crio.storage;

/** A name asked for a new container is held by another container of the store. */
public final class ContainerNameInUseException extends IllegalStateException {

    private final String name;
    private final String holder;

    public ContainerNameInUseException(String name, String holder) {
        super("the container name \"" + name + "\" is already in use by container " + holder);
        this.name = name;
        this.holder = holder;
    }

    public String name() {
        return name;
    }

    /** The ID of the container holding the name. */
    public String holder() {
        return holder;
    }
}
