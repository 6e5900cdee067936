package io.crio.image;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference following Docker's rules: {@code busybox} is
 * {@code docker.io/library/busybox:latest}; a first component with a dot, a colon or equal to
 * {@code localhost} is a registry; a reference has a tag, a digest, or both.
 *
 * @param registry e.g. {@code docker.io}, {@code 127.0.0.1:5000}
 * @param repository the path inside the registry, e.g. {@code library/busybox}
 * @param tag the tag, or null when the reference names only a digest
 * @param digest the manifest digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {

    public static final String DEFAULT_REGISTRY = "docker.io";
    public static final String DEFAULT_TAG = "latest";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
                    + "|\\[[0-9a-fA-F:.]+](?::[0-9]+)?");

    /** A parse result: the reference, and whether the input named a registry explicitly. */
    public record Parsed(ImageReference reference, boolean qualified) {}

    /**
     * Parses and normalises a reference; short names go to {@link #DEFAULT_REGISTRY}. Throws
     * IllegalArgumentException naming what is wrong.
     */
    public static ImageReference parse(String input) {
        return parseDetailed(input).reference();
    }

    public static Parsed parseDetailed(String input) {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("image reference is empty");
        }
        if (input.length() > 4096 || !input.equals(input.strip())) {
            throw new IllegalArgumentException("invalid image reference \"" + input + "\"");
        }
        String rest = input;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(rest.substring(at + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid image reference \"" + input + "\": " + e.getMessage());
            }
            rest = rest.substring(0, at);
        }
        String tag = null;
        int lastColon = rest.lastIndexOf(':');
        if (lastColon > rest.lastIndexOf('/')) {
            tag = rest.substring(lastColon + 1);
            rest = rest.substring(0, lastColon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid image reference \"" + input + "\": invalid tag \"" + tag + "\"");
            }
        }
        String registry = DEFAULT_REGISTRY;
        String path = rest;
        boolean qualified = false;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase())) {
                if (!DOMAIN.matcher(first).matches()) {
                    throw new IllegalArgumentException("invalid image reference \"" + input + "\": invalid registry \"" + first + "\"");
                }
                registry = first;
                path = rest.substring(slash + 1);
                qualified = true;
            }
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("invalid image reference \"" + input + "\": no repository name");
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new IllegalArgumentException("invalid image reference \"" + input + "\": invalid repository name component \""
                        + component + "\" (lowercase letters, digits and separators . _ __ - only)");
            }
        }
        if (registry.equals(DEFAULT_REGISTRY) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (registry.equals("index.docker.io")) {
            registry = DEFAULT_REGISTRY;
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        if (registry.length() + 1 + path.length() > 255) {
            throw new IllegalArgumentException("invalid image reference \"" + input + "\": repository name longer than 255 characters");
        }
        return new Parsed(new ImageReference(registry, path, tag, digest), qualified);
    }

    /** {@code registry/repository}. */
    public String name() {
        return registry + "/" + repository;
    }

    /** The same repository at another registry (for mirrors and search registries). */
    public ImageReference withRegistry(String newRegistry, String newRepository) {
        return new ImageReference(newRegistry, newRepository, tag, digest);
    }

    public ImageReference withDigestOnly(Digest d) {
        return new ImageReference(registry, repository, null, d);
    }

    /** What to ask the registry for: the digest when there is one, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code name:tag}, when the reference has a tag. */
    public Optional<String> taggedName() {
        return tag == null ? Optional.empty() : Optional.of(name() + ":" + tag);
    }

    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
