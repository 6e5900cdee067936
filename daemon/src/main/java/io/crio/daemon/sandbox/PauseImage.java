package io.crio.daemon.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.crio.daemon.image.ImageBackend;
import io.crio.daemon.server.CriException;
import io.crio.image.AuthFile;
import io.crio.image.Credentials;
import io.crio.image.ImageException;
import io.crio.image.ImageReference;
import io.crio.image.PlatformMatcher;
import io.crio.image.PullRequest;
import io.crio.storage.ImageRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image infra containers run: {@code pause_image}, pulled on first need (with {@code pause_image_auth_file},
 * else {@code global_auth_file}), and the command they run: {@code pause_command}, or the image's own
 * entrypoint and command when that is empty.
 */
public final class PauseImage {

    private static final Logger log = LoggerFactory.getLogger(PauseImage.class);

    /** The resolved image and what the infra process runs. */
    public record Resolved(ImageRecord image, String reference, List<String> args, List<String> env) {}

    private final ImageBackend images;
    private final String reference;
    private final String command;
    private final String authFile;

    public PauseImage(ImageBackend images, String reference, String command, String authFile) {
        this.images = images;
        this.reference = reference;
        this.command = command;
        this.authFile = authFile;
    }

    public Resolved resolve() {
        ImageRecord image = images.get().catalog().find(reference).orElseGet(this::pull);
        JsonNode config = config(image);
        List<String> env = new ArrayList<>();
        config.path("Env").forEach(e -> env.add(e.asText()));
        List<String> args = new ArrayList<>();
        if (!command.isEmpty()) {
            args.add(command);
        } else {
            config.path("Entrypoint").forEach(e -> args.add(e.asText()));
            config.path("Cmd").forEach(e -> args.add(e.asText()));
        }
        if (args.isEmpty()) {
            throw CriException.failedPrecondition("pause_command is empty and the pause image " + reference
                    + " has no entrypoint or command");
        }
        return new Resolved(image, reference, args, env);
    }

    private ImageRecord pull() {
        log.info("Pulling pause image {}", reference);
        try {
            ImageReference ref = ImageReference.parse(reference);
            var pulled = images.get().puller().pull(new PullRequest(reference, credentials(ref), PlatformMatcher.host()));
            return images.get().store().image(pulled.id()).orElseThrow(() -> new IOException("pulled image vanished"));
        } catch (ImageException | IOException | IllegalArgumentException e) {
            throw new CriException(CriException.Kind.UNAVAILABLE, "cannot pull pause image " + reference + ": "
                    + e.getMessage(), e);
        }
    }

    private Credentials credentials(ImageReference ref) throws IOException {
        if (authFile.isEmpty()) {
            return Credentials.NONE;
        }
        return AuthFile.lookup(Path.of(authFile), ref);
    }

    private JsonNode config(ImageRecord image) {
        try {
            Optional<byte[]> raw = images.get().store().imageConfig(image.id());
            if (raw.isEmpty()) {
                return SandboxStore.JSON.createObjectNode();
            }
            return SandboxStore.JSON.readTree(raw.get()).path("config");
        } catch (IOException e) {
            throw new CriException(CriException.Kind.INTERNAL, "cannot read the pause image's configuration: "
                    + e.getMessage(), e);
        }
    }
}
