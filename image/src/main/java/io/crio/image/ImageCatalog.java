package io.crio.image;

import io.crio.storage.ContainersStore;
import io.crio.storage.ImageRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Finds stored images the way kubelet and crictl name them — by ID (with or without {@code sha256:}), by
 * a unique ID prefix, by name ({@code busybox}, {@code docker.io/library/busybox:latest}) or by digest
 * ({@code repo@sha256:…}) — and describes them for the CRI.
 */
public final class ImageCatalog {

    private static final Pattern HEX_PREFIX = Pattern.compile("[a-f0-9]{3,64}");

    private final ContainersStore store;
    private final RegistriesConfig registries;

    public ImageCatalog(ContainersStore store, RegistriesConfig registries) {
        this.store = store;
        this.registries = registries;
    }

    /** The image a CRI image string refers to, if it is stored. */
    public Optional<ImageRecord> find(String image) {
        if (image == null || image.isBlank()) {
            return Optional.empty();
        }
        String s = image.startsWith("sha256:") ? image.substring("sha256:".length()) : image;
        if (HEX_PREFIX.matcher(s).matches()) {
            Optional<ImageRecord> byId = store.image(s);
            if (byId.isPresent()) {
                return byId;
            }
            List<ImageRecord> matches = store.images().stream().filter(i -> i.id().startsWith(s)).toList();
            if (matches.size() == 1) {
                return Optional.of(matches.get(0));
            }
        }
        ImageReference.Parsed parsed;
        try {
            parsed = ImageReference.parseDetailed(image);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        List<ImageReference> candidates = parsed.qualified() ? List.of(parsed.reference())
                : registries.expandShortName(parsed.reference());
        for (ImageReference ref : candidates) {
            Optional<ImageRecord> found = findByReference(ref);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private Optional<ImageRecord> findByReference(ImageReference ref) {
        for (ImageRecord i : store.images()) {
            if (ref.digest() != null) {
                boolean sameRepo = i.names().stream().anyMatch(n -> repositoryOf(n).equals(ref.name()));
                if (sameRepo && i.digests().contains(ref.digest().toString())) {
                    return Optional.of(i);
                }
            } else if (i.names().contains(ref.toString())) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    static String repositoryOf(String name) {
        int at = name.indexOf('@');
        if (at >= 0) {
            return name.substring(0, at);
        }
        int colon = name.lastIndexOf(':');
        return colon > name.lastIndexOf('/') ? name.substring(0, colon) : name;
    }

    public List<ImageRecord> all() {
        return store.images();
    }

    /** An image's repository tags and repository digests, as the CRI shows them. */
    public record Names(List<String> repoTags, List<String> repoDigests) {}

    /** The tags and digests of a stored image, from its record alone. */
    public static Names names(ImageRecord image) {
        List<String> tags = image.names().stream().filter(n -> !n.contains("@")).toList();
        Set<String> digests = new LinkedHashSet<>();
        for (String n : image.names()) {
            if (n.contains("@")) {
                digests.add(n);
            }
        }
        if (digests.isEmpty()) {
            // images stored by other tools may carry no repository@digest name: pair tags with digests
            for (String n : tags) {
                for (String d : image.digests()) {
                    digests.add(repositoryOf(n) + "@" + d);
                }
            }
        }
        return new Names(tags, List.copyOf(digests));
    }

    /** The CRI view of a stored image. */
    public ImageView view(ImageRecord image) throws IOException {
        Names names = names(image);
        List<String> tags = names.repoTags();
        List<String> digests = names.repoDigests();
        byte[] config = store.imageConfig(image.id()).orElse(null);
        Long uid = null;
        String username = "";
        Map<String, String> labels = Map.of();
        if (config != null) {
            try {
                ImageConfig c = ImageConfig.parse(config);
                Object[] user = ImageView.user(c.user());
                uid = (Long) user[0];
                username = (String) user[1];
                if (c.config() != null && c.config().labels() != null) {
                    labels = c.config().labels();
                }
            } catch (ImageException e) {
                // an unreadable config leaves the user unknown
            }
        }
        return new ImageView(image.id(), tags, new ArrayList<>(digests), store.imageSize(image.id()), uid, username,
                config, labels);
    }
}
