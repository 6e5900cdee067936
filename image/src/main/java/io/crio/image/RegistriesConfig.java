package io.crio.image;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The registries configuration ({@code /etc/containers/registries.conf}, format v2, plus drop-ins in
 * {@code registries.conf.d/}): search registries for short names, and per-prefix registry settings —
 * location rewrite, insecure, blocked, and mirrors tried before the registry itself.
 */
public record RegistriesConfig(List<String> unqualifiedSearchRegistries, List<Registry> registries) {

    public static final Path DEFAULT_FILE = Path.of("/etc/containers/registries.conf");
    public static final Path DEFAULT_DIR = Path.of("/etc/containers/registries.conf.d");

    /** One {@code [[registry]]} table. */
    public record Registry(String prefix, String location, boolean insecure, boolean blocked, List<Mirror> mirrors) {}

    /** One {@code [[registry.mirror]]} table. */
    public record Mirror(String location, boolean insecure) {}

    /** Where to try pulling a reference from, in order. */
    public record Candidate(RegistryEndpoint endpoint, ImageReference reference, boolean mirror) {}

    public RegistriesConfig {
        unqualifiedSearchRegistries = List.copyOf(unqualifiedSearchRegistries);
        registries = List.copyOf(registries);
    }

    /** The file to read: {@code $CONTAINERS_REGISTRIES_CONF} (as the containers tools honour it) or the default. */
    public static Path fileFromEnvironment() {
        String env = System.getenv("CONTAINERS_REGISTRIES_CONF");
        return env == null || env.isEmpty() ? DEFAULT_FILE : Path.of(env);
    }

    /** The drop-in directory: next to an overriding file ({@code <file>.d}) or the default. */
    public static Path dirFromEnvironment() {
        String env = System.getenv("CONTAINERS_REGISTRIES_CONF");
        return env == null || env.isEmpty() ? DEFAULT_DIR : Path.of(env + ".d");
    }

    public static RegistriesConfig empty() {
        return new RegistriesConfig(List.of(), List.of());
    }

    /** Loads the file and the drop-ins (in lexical order, later ones adding to and overriding earlier ones). */
    public static RegistriesConfig load(Path file, Path dropInDir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (file != null && Files.isRegularFile(file)) {
            files.add(file);
        }
        if (dropInDir != null && Files.isDirectory(dropInDir)) {
            try (Stream<Path> s = Files.list(dropInDir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted(Comparator.naturalOrder()).forEach(files::add);
            }
        }
        List<String> search = new ArrayList<>();
        List<Registry> regs = new ArrayList<>();
        TomlMapper toml = new TomlMapper();
        for (Path f : files) {
            JsonNode root;
            try {
                root = toml.readTree(f.toFile());
            } catch (JacksonException e) {
                throw new IOException(f + ": invalid TOML: " + e.getOriginalMessage(), e);
            }
            if (root == null) {
                continue;
            }
            if (root.has("unqualified-search-registries")) {
                search.clear();
                root.get("unqualified-search-registries").forEach(n -> search.add(n.asText()));
            }
            for (JsonNode r : root.path("registry")) {
                String location = r.path("location").asText("");
                String prefix = r.path("prefix").asText(location);
                if (prefix.isEmpty()) {
                    throw new IOException(f + ": a [[registry]] has neither prefix nor location");
                }
                List<Mirror> mirrors = new ArrayList<>();
                for (JsonNode m : r.path("mirror")) {
                    mirrors.add(new Mirror(m.path("location").asText(""), m.path("insecure").asBoolean(false)));
                }
                regs.removeIf(existing -> existing.prefix().equals(prefix));
                regs.add(new Registry(prefix, location.isEmpty() ? prefix : location, r.path("insecure").asBoolean(false),
                        r.path("blocked").asBoolean(false), mirrors));
            }
        }
        return new RegistriesConfig(search, regs);
    }

    /** The {@code [[registry]]} whose prefix matches the reference's name most specifically. */
    Registry match(ImageReference ref) {
        String full = ref.name();
        Registry best = null;
        for (Registry r : registries) {
            String p = r.prefix();
            boolean matches = full.equals(p) || full.startsWith(p + "/")
                    || (p.startsWith("*.") && ref.registry().endsWith(p.substring(1)));
            if (matches && (best == null || p.length() > best.prefix().length())) {
                best = r;
            }
        }
        return best;
    }

    /**
     * The places to pull {@code ref} from: mirrors first, then the (possibly relocated) registry. A blocked
     * registry is an error.
     */
    public List<Candidate> candidates(ImageReference ref) throws ImageException {
        Registry r = match(ref);
        if (r == null) {
            return List.of(new Candidate(new RegistryEndpoint(ref.registry(), false), ref, false));
        }
        if (r.blocked()) {
            throw new ImageException(ImageException.Kind.BLOCKED, "registry " + ref.registry() + " is blocked in registries.conf");
        }
        List<Candidate> out = new ArrayList<>();
        String rest = ref.name().length() > r.prefix().length() && !r.prefix().startsWith("*.")
                ? ref.name().substring(r.prefix().length()) : "";
        for (Mirror m : r.mirrors()) {
            out.add(candidate(m.location() + rest, m.insecure(), ref, true));
        }
        String location = r.prefix().startsWith("*.") ? ref.name() : r.location() + rest;
        out.add(candidate(location, r.insecure(), ref, false));
        return out;
    }

    private static Candidate candidate(String location, boolean insecure, ImageReference ref, boolean mirror) {
        int slash = location.indexOf('/');
        String host = slash < 0 ? location : location.substring(0, slash);
        String repo = slash < 0 ? ref.repository() : location.substring(slash + 1);
        return new Candidate(new RegistryEndpoint(host, insecure), ref.withRegistry(host, repo), mirror);
    }

    /**
     * The fully qualified references a short name may mean: one per search registry, or Docker Hub's
     * when none is configured.
     */
    public List<ImageReference> expandShortName(ImageReference normalised) {
        if (unqualifiedSearchRegistries.isEmpty()) {
            return List.of(normalised);
        }
        String repo = normalised.repository();
        List<ImageReference> out = new ArrayList<>();
        for (String registry : unqualifiedSearchRegistries) {
            String r = registry.equals(ImageReference.DEFAULT_REGISTRY) ? repo
                    : repo.startsWith("library/") ? repo.substring("library/".length()) : repo;
            out.add(normalised.withRegistry(registry, r));
        }
        return out;
    }
}
