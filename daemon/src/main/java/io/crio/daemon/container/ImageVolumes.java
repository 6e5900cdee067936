package io.crio.daemon.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image's declared volumes under {@code image_volumes}: {@code mkdir} makes each one as a directory in
 * the container's root file system (as CRI-O does); {@code ignore} and {@code bind} leave them alone here.
 */
final class ImageVolumes {

    private static final Logger log = LoggerFactory.getLogger(ImageVolumes.class);

    private ImageVolumes() {}

    static void apply(String mode, Path rootfs, List<String> volumes) throws IOException {
        if (!"mkdir".equals(mode)) {
            return;
        }
        for (String v : volumes) {
            Path rel = Path.of("/").relativize(Path.of("/", v).normalize());
            Path target = rootfs.resolve(rel).normalize();
            if (!target.startsWith(rootfs) || rel.toString().isEmpty()) {
                continue;
            }
            // never follow a symbolic link the image planted on the way
            Path cur = rootfs;
            boolean safe = true;
            for (Path part : rel) {
                cur = cur.resolve(part);
                if (Files.isSymbolicLink(cur)) {
                    safe = false;
                    break;
                }
            }
            if (!safe) {
                log.warn("Image volume {} goes through a symbolic link; not created", v);
                continue;
            }
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(target);
            }
        }
    }
}
