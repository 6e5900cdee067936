package io.crio.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The result of a CNI {@code ADD}, read from any result format: 1.0.0, the 0.3.0/0.3.1/0.4.0 format (whose IPs
 * carry a {@code version}) and the older 0.1.0/0.2.0 format ({@code ip4}/{@code ip6}).
 *
 * @param raw the result as the plugin produced it
 */
public record CniResult(String cniVersion, List<Interface> interfaces, List<IpConfig> ips, List<Route> routes, Dns dns,
        JsonNode raw) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public CniResult {
        interfaces = List.copyOf(interfaces);
        ips = List.copyOf(ips);
        routes = List.copyOf(routes);
    }

    /** An interface the plugins created or configured; {@code sandbox} is empty for interfaces on the host. */
    public record Interface(String name, String mac, String sandbox) {}

    /**
     * An assigned address.
     *
     * @param address address and prefix length, e.g. {@code 10.88.0.5/16}
     * @param gateway may be empty
     * @param interfaceIndex index into {@link CniResult#interfaces()}, or -1 when not given
     */
    public record IpConfig(String address, String gateway, int interfaceIndex) {

        /** The address without its prefix length. */
        public String ip() {
            int slash = address.indexOf('/');
            return slash < 0 ? address : address.substring(0, slash);
        }

        public boolean isIpv6() {
            return address.indexOf(':') >= 0;
        }
    }

    /** A route; {@code gw} is empty when the route uses the interface's default gateway. */
    public record Route(String dst, String gw) {}

    public record Dns(List<String> nameservers, String domain, List<String> search, List<String> options) {
        public static final Dns EMPTY = new Dns(List.of(), "", List.of(), List.of());

        public Dns {
            nameservers = List.copyOf(nameservers);
            search = List.copyOf(search);
            options = List.copyOf(options);
        }
    }

    /**
     * The pod's IP addresses without prefix length: those on interfaces inside the sandbox, or all addresses when
     * an address does not say which interface it is on; IPv4 addresses first, then IPv6, each in result order.
     */
    public List<String> podIps() {
        Set<String> v4 = new LinkedHashSet<>();
        Set<String> v6 = new LinkedHashSet<>();
        for (IpConfig ip : ips) {
            int i = ip.interfaceIndex();
            if (i >= 0 && i < interfaces.size() && interfaces.get(i).sandbox().isEmpty()) {
                continue;
            }
            (ip.isIpv6() ? v6 : v4).add(ip.ip());
        }
        List<String> out = new ArrayList<>(v4);
        out.addAll(v6);
        return List.copyOf(out);
    }

    /** Parses a result document. */
    public static CniResult parse(byte[] json) throws CniException {
        try {
            return parse(JSON.readTree(json));
        } catch (IOException e) {
            throw new CniException("invalid CNI result: " + e.getMessage(), e);
        }
    }

    /** Parses a result object of any supported version. */
    public static CniResult parse(JsonNode raw) throws CniException {
        if (raw == null || !raw.isObject()) {
            throw new CniException("invalid CNI result: not a JSON object");
        }
        String version = raw.path("cniVersion").asText("");
        if (isLegacy(raw)) {
            return parse(upgradeLegacy((ObjectNode) raw, version.isEmpty() ? "0.2.0" : version), raw);
        }
        return parse(raw, raw);
    }

    private static CniResult parse(JsonNode r, JsonNode raw) throws CniException {
        List<Interface> interfaces = new ArrayList<>();
        for (JsonNode i : array(r, "interfaces")) {
            interfaces.add(new Interface(i.path("name").asText(""), i.path("mac").asText(""),
                    i.path("sandbox").asText("")));
        }
        List<IpConfig> ips = new ArrayList<>();
        for (JsonNode ip : array(r, "ips")) {
            String address = ip.path("address").asText("");
            if (address.isEmpty()) {
                throw new CniException("invalid CNI result: an IP configuration has no address");
            }
            JsonNode idx = ip.get("interface");
            ips.add(new IpConfig(address, ip.path("gateway").asText(""),
                    idx != null && idx.canConvertToInt() ? idx.asInt() : -1));
        }
        List<Route> routes = new ArrayList<>();
        for (JsonNode rt : array(r, "routes")) {
            routes.add(new Route(rt.path("dst").asText(""), rt.path("gw").asText("")));
        }
        JsonNode d = r.path("dns");
        Dns dns = d.isObject()
                ? new Dns(strings(d, "nameservers"), d.path("domain").asText(""), strings(d, "search"),
                        strings(d, "options"))
                : Dns.EMPTY;
        return new CniResult(r.path("cniVersion").asText(""), interfaces, ips, routes, dns, raw);
    }

    /**
     * {@code result} in the format of CNI version {@code target}, for handing it to plugins of a list of that
     * version as {@code prevResult}. Results already in that format, and conversions this class does not know,
     * come back unchanged.
     */
    static JsonNode convert(JsonNode result, String target) {
        if (!(result instanceof ObjectNode obj) || target == null || target.isEmpty()) {
            return result;
        }
        if (target.equals(obj.path("cniVersion").asText(""))) {
            return result;
        }
        CniVersion to = CniVersion.parse(target);
        if (to.compareTo(CniVersion.V0_3_0) < 0) {
            return result;
        }
        ObjectNode out = isLegacy(obj) ? upgradeLegacy(obj, target) : obj.deepCopy();
        out.put("cniVersion", target);
        boolean versioned = to.compareTo(CniVersion.V1_0_0) < 0;
        for (JsonNode ip : array(out, "ips")) {
            if (!(ip instanceof ObjectNode o)) {
                continue;
            }
            if (versioned) {
                o.put("version", o.path("address").asText("").indexOf(':') >= 0 ? "6" : "4");
            } else {
                o.remove("version");
            }
        }
        return out;
    }

    private static boolean isLegacy(JsonNode r) {
        return !r.has("ips") && !r.has("interfaces") && (r.has("ip4") || r.has("ip6"));
    }

    /** A 0.1.0/0.2.0 result rewritten in the 0.3.x layout. */
    private static ObjectNode upgradeLegacy(ObjectNode r, String version) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode out = f.objectNode();
        out.put("cniVersion", version);
        ArrayNode ips = out.putArray("ips");
        ArrayNode routes = out.putArray("routes");
        for (String family : List.of("ip4", "ip6")) {
            JsonNode c = r.get(family);
            if (c == null || !c.isObject()) {
                continue;
            }
            ObjectNode ip = ips.addObject();
            ip.put("version", family.equals("ip4") ? "4" : "6");
            ip.put("address", c.path("ip").asText(""));
            if (c.hasNonNull("gateway")) {
                ip.put("gateway", c.path("gateway").asText(""));
            }
            for (JsonNode rt : array(c, "routes")) {
                routes.add(rt.deepCopy());
            }
        }
        if (r.has("dns")) {
            out.set("dns", r.get("dns").deepCopy());
        }
        return out;
    }

    private static Iterable<JsonNode> array(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n instanceof ArrayNode a ? a : List.of();
    }

    private static List<String> strings(JsonNode parent, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array(parent, field)) {
            out.add(n.asText(""));
        }
        return out;
    }
}
