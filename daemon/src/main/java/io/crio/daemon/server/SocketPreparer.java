package io.crio.daemon.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Makes a socket path ready to bind: creates its parent directories, refuses when another server
 * already answers on it, and removes a stale socket file left by a daemon that did not shut down.
 */
public final class SocketPreparer {

    private SocketPreparer() {}

    public static void prepare(Path socket) throws IOException {
        Path parent = socket.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) {
            throw new IOException(socket + " exists and is not a socket; refusing to replace it");
        }
        if (answers(socket)) {
            throw new IOException("another server is already listening on " + socket
                    + "; is crio already running?");
        }
        Files.deleteIfExists(socket);
    }

    /**
     * Whether a server listens on the socket. Only a refused connection proves the file stale; any other
     * failure (no permission, a full backlog) means it cannot be told, which is reported, never guessed.
     */
    public static boolean answers(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.configureBlocking(false);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                return true;
            }
            throw new IOException("cannot tell whether a server listens on " + socket + ": " + e.getMessage(), e);
        }
    }
}
