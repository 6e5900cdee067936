package io.crio.storage.unpack;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tarballs in memory: PAX for long names, big numbers, nanosecond times and xattrs. */
final class TarBuilder {

    static final Instant DEFAULT_TIME = Instant.parse("2020-01-02T03:04:05Z");

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream out;

    TarBuilder() {
        this(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    TarBuilder(int longFileMode) {
        out = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());
        out.setLongFileMode(longFileMode);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    static TarArchiveEntry entry(String name, byte type) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true); // keep leading '/' and '..' as given
        e.setModTime(FileTime.from(DEFAULT_TIME));
        e.setUserId(0);
        e.setGroupId(0);
        return e;
    }

    TarBuilder dir(String name, int mode) {
        return dir(name, mode, e -> { });
    }

    TarBuilder dir(String name, int mode, Consumer<TarArchiveEntry> tweak) {
        TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
        e.setMode(mode);
        tweak.accept(e);
        return put(e, new byte[0]);
    }

    TarBuilder file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, e -> { });
    }

    TarBuilder file(String name, byte[] content, int mode, Consumer<TarArchiveEntry> tweak) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(mode);
        e.setSize(content.length);
        tweak.accept(e);
        return put(e, content);
    }

    TarBuilder symlink(String name, String target) {
        return symlink(name, target, e -> { });
    }

    TarBuilder symlink(String name, String target, Consumer<TarArchiveEntry> tweak) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0777);
        tweak.accept(e);
        return put(e, new byte[0]);
    }

    TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        e.setMode(0644);
        return put(e, new byte[0]);
    }

    TarBuilder node(String name, byte type, int mode, int major, int minor) {
        TarArchiveEntry e = entry(name, type);
        e.setMode(mode);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return put(e, new byte[0]);
    }

    /** A whiteout as image builders write it: an empty regular file. */
    TarBuilder whiteout(String name) {
        return file(name, new byte[0], 0644, e -> { });
    }

    /**
     * A PAX extended header written byte for byte (so values can be binary), which applies to the next
     * entry.
     */
    TarBuilder rawPax(Map<String, byte[]> records) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
            byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
            int body = 1 + key.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len++;
            }
            data.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
            data.writeBytes(key);
            data.write('=');
            data.writeBytes(r.getValue());
            data.write('\n');
        }
        byte[] payload = data.toByteArray();
        // Whole-second time, so the writer adds no PAX header of its own in front of this one.
        TarArchiveEntry pax = entry("PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
        pax.setSize(payload.length);
        return put(pax, payload);
    }

    static Map<String, byte[]> records(Object... keyValues) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            m.put((String) keyValues[i], v instanceof byte[] b ? b : ((String) v).getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    TarBuilder put(TarArchiveEntry e, byte[] content) {
        try {
            out.putArchiveEntry(e);
            out.write(content);
            out.closeArchiveEntry();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return this;
    }

    byte[] build() {
        try {
            out.finish();
            out.close();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return bytes.toByteArray();
    }

    InputStream stream() {
        return new ByteArrayInputStream(build());
    }
}
