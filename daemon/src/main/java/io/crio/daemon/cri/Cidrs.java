package io.crio.daemon.cri;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Validation of CIDR notation ({@code 10.88.0.0/16}, {@code fd00::/64}), comma-separated for dual stack. */
final class Cidrs {

    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private Cidrs() {}

    /** Null when every comma-separated entry is a valid CIDR, else what is wrong. */
    static String problem(String list) {
        for (String cidr : list.split(",", -1)) {
            String c = cidr.strip();
            if (c.length() > 64) {
                return "\"" + c.substring(0, 64) + "…\" is too long for a CIDR";
            }
            int slash = c.indexOf('/');
            if (slash < 0) {
                return "\"" + c + "\" is not in CIDR notation (address/prefix)";
            }
            String addr = c.substring(0, slash);
            String prefix = c.substring(slash + 1);
            int max;
            if (V4.matcher(addr).matches()) {
                for (String octet : addr.split("\\.")) {
                    if (Integer.parseInt(octet) > 255) {
                        return "\"" + c + "\" has an invalid IPv4 address";
                    }
                }
                max = 32;
            } else if (addr.contains(":") && V6.matcher(addr).matches()) {
                try {
                    InetAddress.getByName(addr);
                } catch (UnknownHostException e) {
                    return "\"" + c + "\" has an invalid IPv6 address";
                }
                max = 128;
            } else {
                return "\"" + c + "\" has an invalid IP address";
            }
            if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > max) {
                return "\"" + c + "\" has an invalid prefix length (0 to " + max + ")";
            }
        }
        return null;
    }
}
