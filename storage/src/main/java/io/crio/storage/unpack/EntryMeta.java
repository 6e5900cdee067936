package io.crio.storage.unpack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata of one tar entry that is applied to what it creates.
 *
 * @param uid    numeric owner, as in the header (never mapped through names)
 * @param gid    numeric group
 * @param mode   permission bits including setuid, setgid and sticky ({@code 07777})
 * @param atime  access time; the modification time when the header has none or an earlier one (as Docker)
 * @param mtime  modification time, with the nanoseconds a PAX header carries
 * @param xattrs extended attributes from {@code SCHILY.xattr.*} PAX records, values byte for byte
 */
record EntryMeta(int uid, int gid, int mode, Instant atime, Instant mtime, Map<String, byte[]> xattrs) {

    private static final Logger LOG = LoggerFactory.getLogger(EntryMeta.class);
    static final String XATTR_PREFIX = "SCHILY.xattr.";
    /** Overlay's own attributes: only the unpacker sets them (opaque directories), never a layer's header. */
    static final String OVERLAY_XATTR_PREFIX = "trusted.overlay.";
    private static final long MAX_ID = 0xFFFF_FFFEL; // (uid_t) -1 means "unchanged" to chown

    static EntryMeta of(TarArchiveEntry e, Map<String, byte[]> rawPax) throws IOException {
        String entry = e.getName();
        int uid = id(entry, "uid", e.getLongUserId());
        int gid = id(entry, "gid", e.getLongGroupId());
        Instant mtime = e.getLastModifiedTime().toInstant();
        FileTime a = e.getLastAccessTime();
        Instant atime = a == null || a.toInstant().isBefore(mtime) ? mtime : a.toInstant();
        Map<String, byte[]> xattrs = new TreeMap<>();
        for (Map.Entry<String, String> h : e.getExtraPaxHeaders().entrySet()) {
            if (!h.getKey().startsWith(XATTR_PREFIX)) {
                continue;
            }
            String name = h.getKey().substring(XATTR_PREFIX.length());
            if (name.isEmpty() || name.indexOf('\0') >= 0) {
                throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry)
                        + "\": invalid extended attribute name \"" + UnsafeLayerException.printable(name) + "\"");
            }
            if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
                LOG.warn("Ignoring extended attribute {} of layer entry {}: overlay attributes come only from whiteouts",
                        name, entry);
                continue;
            }
            byte[] raw = rawPax.get(h.getKey());
            xattrs.put(name, raw != null ? raw : h.getValue().getBytes(StandardCharsets.UTF_8));
        }
        return new EntryMeta(uid, gid, e.getMode() & 07777, atime, mtime, Collections.unmodifiableMap(xattrs));
    }

    private static int id(String entry, String what, long id) throws IOException {
        if (id < 0 || id > MAX_ID) {
            throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry) + "\": " + what + " " + id
                    + " is out of range");
        }
        return (int) id;
    }
}
