package io.crio.daemon.cri;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.api.v1.Int64Value;
import io.crio.api.v1.UInt64Value;
import io.crio.api.v1.AuthConfig;
import io.crio.api.v1.FilesystemIdentifier;
import io.crio.api.v1.FilesystemUsage;
import io.crio.api.v1.Image;
import io.crio.api.v1.ImageFsInfoRequest;
import io.crio.api.v1.ImageFsInfoResponse;
import io.crio.api.v1.ImageServiceGrpc;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.ImageStatusRequest;
import io.crio.api.v1.ImageStatusResponse;
import io.crio.api.v1.ListImagesRequest;
import io.crio.api.v1.ListImagesResponse;
import io.crio.api.v1.PullImageRequest;
import io.crio.api.v1.PullImageResponse;
import io.crio.api.v1.RemoveImageRequest;
import io.crio.api.v1.RemoveImageResponse;
import io.crio.daemon.config.ConfigHolder;
import io.crio.daemon.image.ImageBackend;
import io.crio.daemon.server.CriException;
import io.crio.image.AuthFile;
import io.crio.image.Credentials;
import io.crio.image.ImageException;
import io.crio.image.ImageReference;
import io.crio.image.ImageView;
import io.crio.image.PlatformMatcher;
import io.crio.image.PullRequest;
import io.crio.image.PulledImage;
import io.crio.storage.ImageRecord;
import io.crio.storage.Usage;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The CRI ImageService: pulls into, describes, lists and removes from the image store. */
public final class ImageService extends ImageServiceGrpc.ImageServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(ImageService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConfigHolder config;
    private final ImageBackend backend;

    public ImageService(ConfigHolder config, ImageBackend backend) {
        this.config = config;
        this.backend = backend;
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> observer) {
        String image = request.getImage().getImage();
        if (image.isEmpty()) {
            throw CriException.invalidArgument("image reference is empty");
        }
        ImageReference ref;
        try {
            ref = ImageReference.parse(image);
        } catch (IllegalArgumentException e) {
            throw CriException.invalidArgument(e.getMessage());
        }
        Credentials creds = credentials(request.getAuth(), ref);
        log.info("Pulling image: {}", image);
        try {
            // a pull whose callers all went away (cancelled, deadline passed) is cancelled and cleaned up
            io.grpc.Context call = io.grpc.Context.current();
            PulledImage pulled = backend.get().puller().pull(new PullRequest(image, creds, PlatformMatcher.host()),
                    gone -> call.addListener(ctx -> gone.run(), Runnable::run));
            log.info("Pulled image: {} ({})", pulled.reference(), pulled.id());
            Unary.reply(observer, PullImageResponse.newBuilder().setImageRef(pulled.id()).build());
        } catch (ImageException e) {
            throw ImageErrors.toCri(e);
        } catch (IOException e) {
            throw new UncheckedIOException("pulling " + image + ": " + e.getMessage(), e);
        }
    }

    private Credentials credentials(AuthConfig auth, ImageReference ref) {
        try {
            Credentials fromRequest = Credentials.of(auth.getUsername(), auth.getPassword(), auth.getAuth(),
                    auth.getIdentityToken(), auth.getRegistryToken());
            if (!fromRequest.isEmpty()) {
                return fromRequest;
            }
        } catch (IllegalArgumentException e) {
            throw CriException.invalidArgument("invalid auth config: " + e.getMessage());
        }
        String file = config.get().crio().image().globalAuthFile();
        if (file.isEmpty()) {
            return Credentials.NONE;
        }
        try {
            return AuthFile.lookup(Path.of(file), ref);
        } catch (IOException e) {
            throw new CriException(CriException.Kind.FAILED_PRECONDITION, "cannot read global_auth_file " + file + ": " + e.getMessage());
        }
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> observer) {
        String image = request.getImage().getImage();
        if (image.isEmpty()) {
            throw CriException.invalidArgument("image reference is empty");
        }
        ImageStatusResponse.Builder response = ImageStatusResponse.newBuilder();
        Optional<ImageRecord> found = backend.get().catalog().find(image);
        if (found.isPresent()) {
            ImageView view = view(found.get());
            response.setImage(toProto(view));
            if (request.getVerbose()) {
                response.putInfo("info", verboseInfo(view));
            }
        }
        Unary.reply(observer, response.build());
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> observer) {
        ListImagesResponse.Builder response = ListImagesResponse.newBuilder();
        String filter = request.hasFilter() ? request.getFilter().getImage().getImage() : "";
        List<ImageRecord> images = filter.isEmpty() ? backend.get().catalog().all()
                : backend.get().catalog().find(filter).map(List::of).orElse(List.of());
        for (ImageRecord r : images) {
            response.addImages(toProto(view(r)));
        }
        Unary.reply(observer, response.build());
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> observer) {
        String image = request.getImage().getImage();
        if (image.isEmpty()) {
            throw CriException.invalidArgument("image reference is empty");
        }
        Optional<ImageRecord> found = backend.get().catalog().find(image);
        if (found.isEmpty()) {
            log.info("Image {} is not present; nothing to remove", image);
        } else {
            try {
                backend.get().store().removeImage(found.get().id());
                log.info("Removed image {} ({})", image, found.get().id());
            } catch (IOException e) {
                throw new UncheckedIOException("removing image " + image + ": " + e.getMessage(), e);
            } catch (IllegalStateException e) {
                throw CriException.failedPrecondition("image " + image + " is in use: " + e.getMessage());
            }
        }
        Unary.reply(observer, RemoveImageResponse.getDefaultInstance());
    }

    @Override
    public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> observer) {
        Usage usage;
        try {
            usage = backend.get().store().usage();
        } catch (IOException e) {
            throw new UncheckedIOException("measuring the image store: " + e.getMessage(), e);
        }
        long now = System.currentTimeMillis() * 1_000_000L;
        FilesystemUsage fs = FilesystemUsage.newBuilder()
                .setTimestamp(now)
                .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(usage.mountpoint().toString()))
                .setUsedBytes(UInt64Value.newBuilder().setValue(usage.bytes()).build())
                .setInodesUsed(UInt64Value.newBuilder().setValue(usage.inodes()).build())
                .build();
        Unary.reply(observer, ImageFsInfoResponse.newBuilder()
                .addImageFilesystems(fs)
                .addContainerFilesystems(fs)
                .build());
    }

    private ImageView view(ImageRecord r) {
        try {
            return backend.get().catalog().view(r);
        } catch (IOException e) {
            throw new UncheckedIOException("reading image " + r.id() + ": " + e.getMessage(), e);
        }
    }

    private Image toProto(ImageView v) {
        Image.Builder b = Image.newBuilder()
                .setId(v.id())
                .addAllRepoTags(v.repoTags())
                .addAllRepoDigests(v.repoDigests())
                .setSize(v.size())
                .setUsername(v.username())
                .setSpec(ImageSpec.newBuilder().setImage(v.id()))
                .setPinned(pinned(v));
        if (v.uid() != null) {
            b.setUid(Int64Value.newBuilder().setValue(v.uid()).build());
        }
        return b.build();
    }

    private boolean pinned(ImageView v) {
        var image = config.get().crio().image();
        for (String name : v.repoTags()) {
            if (matches(image.pauseImage(), name)) {
                return true;
            }
            for (String pattern : image.pinnedImages()) {
                if (matches(pattern, name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** CRI-O's pinned-image patterns: exact (normalised), {@code prefix*}, or {@code *keyword*}. */
    static boolean matches(String pattern, String name) {
        if (pattern.startsWith("*") && pattern.endsWith("*") && pattern.length() > 1) {
            return name.contains(pattern.substring(1, pattern.length() - 1));
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        try {
            return ImageReference.parse(pattern).toString().equals(name);
        } catch (IllegalArgumentException e) {
            return pattern.equals(name);
        }
    }

    private static String verboseInfo(ImageView v) {
        ObjectNode info = JSON.createObjectNode();
        if (!v.labels().isEmpty()) {
            info.set("labels", JSON.valueToTree(v.labels()));
        }
        try {
            JsonNode spec = v.configJson() == null ? JSON.nullNode() : JSON.readTree(v.configJson());
            info.set("imageSpec", spec);
            return JSON.writeValueAsString(info);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
