package io.crio.daemon.container;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches conmon's exit directory (inotify) and reports each container ID whose exit file appears, so a
 * container's state is recorded as exited within milliseconds of its process ending, not only when asked.
 */
final class ExitWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);

    private final WatchService watch;
    private final Thread thread;

    private ExitWatcher(WatchService watch, Thread thread) {
        this.watch = watch;
        this.thread = thread;
    }

    static ExitWatcher start(Path exitDir, Consumer<String> onExit) throws IOException {
        java.nio.file.Files.createDirectories(exitDir);
        WatchService watch = FileSystems.getDefault().newWatchService();
        exitDir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        Thread t = Thread.ofPlatform().daemon(true).name("container-exits").unstarted(() -> loop(watch, onExit));
        t.start();
        return new ExitWatcher(watch, t);
    }

    private static void loop(WatchService watch, Consumer<String> onExit) {
        while (true) {
            WatchKey key;
            try {
                key = watch.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.context() instanceof Path p) {
                    try {
                        onExit.accept(p.getFileName().toString());
                    } catch (RuntimeException e) {
                        log.warn("Cannot record the exit of container {}: {}", p, e.getMessage());
                    }
                }
            }
            if (!key.reset()) {
                log.warn("The exit directory is no longer watched; exits are read when containers are queried");
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        watch.close();
        thread.interrupt();
    }
}
