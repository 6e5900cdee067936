package io.crio.conmon;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The CRI log format conmon writes: {@code <RFC3339Nano> <stdout|stderr> <F|P> <content>} per line, where
 * {@code P} marks a partial line continued by the next record and {@code F} a full one.
 */
public final class CriLog {

    /** The two streams, reassembled. */
    public record Streams(byte[] stdout, byte[] stderr) {}

    private CriLog() {}

    public static Streams split(byte[] log) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String text = new String(log, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            String[] f = line.split(" ", 4);
            if (f.length < 3) {
                continue;
            }
            ByteArrayOutputStream target = switch (f[1]) {
                case "stdout" -> out;
                case "stderr" -> err;
                default -> null;
            };
            if (target == null) {
                continue;
            }
            byte[] content = f.length == 4 ? f[3].getBytes(StandardCharsets.UTF_8) : new byte[0];
            target.write(content, 0, content.length);
            if (f[2].equals("F")) {
                target.write('\n');
            }
        }
        return new Streams(out.toByteArray(), err.toByteArray());
    }
}
