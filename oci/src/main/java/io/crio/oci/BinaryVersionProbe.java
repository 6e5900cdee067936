package io.crio.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code <binary> --version} and remembers the answer for as long as the file is unchanged (same
 * size and modification time), so a frequently polled health check does not spawn a process each time.
 */
public final class BinaryVersionProbe {

    /** What {@code --version} said: the first line on success, else why it failed. */
    public record Result(boolean ok, String detail) {}

    private record Key(Path path, long size, long mtimeNanos) {}

    private final Duration timeout;
    private final ConcurrentHashMap<Key, Result> cache = new ConcurrentHashMap<>();

    public BinaryVersionProbe(Duration timeout) {
        this.timeout = timeout;
    }

    public Result probe(Path binary) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(binary, BasicFileAttributes.class);
        } catch (IOException e) {
            return new Result(false, binary + " cannot be read: " + e.getMessage());
        }
        Key key = new Key(binary, attrs.size(), attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        Result cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        Result fresh = run(binary);
        if (fresh.ok()) {
            cache.keySet().removeIf(k -> k.path().equals(binary));
            cache.put(key, fresh);
        }
        return fresh;
    }

    private Result run(Path binary) {
        Process p;
        try {
            p = new ProcessBuilder(List.of(binary.toString(), "--version"))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return new Result(false, binary + " --version could not be started: " + e.getMessage());
        }
        try (InputStream out = p.getInputStream()) {
            // read (bounded) while it runs, so a chatty binary cannot block on a full pipe; then drain
            java.util.concurrent.CompletableFuture<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] head = out.readNBytes(4096);
                    out.transferTo(java.io.OutputStream.nullOutputStream());
                    return head;
                } catch (IOException e) {
                    return new byte[0];
                }
            }, Thread::startVirtualThread);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(false, binary + " --version did not answer within " + timeout.toMillis() + " ms");
            }
            String text = new String(output.join(), StandardCharsets.UTF_8).strip();
            String first = text.lines().findFirst().orElse("");
            if (p.exitValue() != 0) {
                return new Result(false, binary + " --version exited with " + p.exitValue() + ": " + first);
            }
            return new Result(true, first);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(false, binary + " --version was interrupted");
        } catch (IOException e) {
            return new Result(false, binary + " --version output could not be read: " + e.getMessage());
        }
    }
}
