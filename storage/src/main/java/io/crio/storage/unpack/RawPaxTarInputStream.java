package io.crio.storage.unpack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A {@link TarArchiveInputStream} that also keeps the raw bytes of the PAX extended header ({@code x}
 * record) in front of the current entry. commons-compress decodes every PAX value as UTF-8, which mangles
 * binary values such as a {@code SCHILY.xattr.security.capability} holding a byte of 0x80 or more; the raw
 * records give them back byte for byte.
 *
 * <p>It works because commons-compress parses a PAX header by reading it through this stream's own
 * {@link #read(byte[], int, int)} while the PAX record is the current entry.
 */
final class RawPaxTarInputStream extends TarArchiveInputStream {

    /** PAX headers larger than this are left to commons-compress alone. */
    private static final int MAX_CAPTURE = 1 << 20;

    private final ByteArrayOutputStream pax = new ByteArrayOutputStream();

    RawPaxTarInputStream(InputStream in) {
        super(in, StandardCharsets.UTF_8.name());
    }

    /** The next entry, with its raw PAX records available from {@link #rawPaxRecords()}. */
    TarArchiveEntry next() throws IOException {
        pax.reset();
        return getNextEntry();
    }

    @Override
    public int read(byte[] buf, int offset, int length) throws IOException {
        int n = super.read(buf, offset, length);
        TarArchiveEntry current = getCurrentEntry();
        if (n > 0 && current != null && current.isPaxHeader() && pax.size() + n <= MAX_CAPTURE) {
            pax.write(buf, offset, n);
        }
        return n;
    }

    /**
     * The current entry's PAX records ({@code "LEN KEY=VALUE\n"}) as raw bytes by key; later records win.
     * Stops quietly at anything malformed (commons-compress has already accepted or refused the header).
     */
    Map<String, byte[]> rawPaxRecords() {
        byte[] data = pax.toByteArray();
        Map<String, byte[]> records = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            long length = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9' && length < Integer.MAX_VALUE) {
                length = length * 10 + (data[space] - '0');
                space++;
            }
            if (space == pos || space >= data.length || data[space] != ' ' || length <= space - pos + 1
                    || pos + length > data.length) {
                break;
            }
            int end = (int) (pos + length); // one past the record's '\n'
            int equals = space + 1;
            while (equals < end && data[equals] != '=') {
                equals++;
            }
            if (equals >= end - 1 || data[end - 1] != '\n') {
                break;
            }
            String key = new String(data, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            byte[] value = new byte[end - 1 - (equals + 1)];
            System.arraycopy(data, equals + 1, value, 0, value.length);
            records.put(key, value);
            pos = end;
        }
        return records;
    }
}
