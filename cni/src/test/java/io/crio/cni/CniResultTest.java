package io.crio.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CniResultTest {

    private static CniResult parse(String json) throws CniException {
        return CniResult.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesA100Result() throws Exception {
        CniResult r = parse("""
                {"cniVersion":"1.0.0",
                 "interfaces":[{"name":"cni0","mac":"36:7b:1c:2d:3e:4f"},
                               {"name":"veth1234","mac":"aa:aa:aa:aa:aa:aa"},
                               {"name":"eth0","mac":"0a:58:0a:58:00:05","sandbox":"/var/run/netns/abc"}],
                 "ips":[{"address":"fd00:10:88::5/64","gateway":"fd00:10:88::1","interface":2},
                        {"address":"10.88.0.5/16","gateway":"10.88.0.1","interface":2},
                        {"address":"10.99.0.1/24","interface":0}],
                 "routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"fd00:10:88::1"}],
                 "dns":{"nameservers":["10.88.0.1"],"domain":"cluster.local","search":["svc.cluster.local"],
                        "options":["ndots:5"]}}
                """);
        assertEquals("1.0.0", r.cniVersion());
        assertEquals(3, r.interfaces().size());
        assertEquals(new CniResult.Interface("eth0", "0a:58:0a:58:00:05", "/var/run/netns/abc"), r.interfaces().get(2));
        assertEquals(new CniResult.IpConfig("10.88.0.5/16", "10.88.0.1", 2), r.ips().get(1));
        assertEquals(List.of(new CniResult.Route("0.0.0.0/0", ""), new CniResult.Route("::/0", "fd00:10:88::1")),
                r.routes());
        assertEquals(new CniResult.Dns(List.of("10.88.0.1"), "cluster.local", List.of("svc.cluster.local"),
                List.of("ndots:5")), r.dns());
        assertEquals(List.of("10.88.0.5", "fd00:10:88::5"), r.podIps(), "IPv4 first, host address left out");
        assertEquals("1.0.0", r.raw().path("cniVersion").asText());
    }

    @Test
    void parsesA031ResultWithVersionedIps() throws Exception {
        CniResult r = parse("""
                {"cniVersion":"0.3.1",
                 "interfaces":[{"name":"eth0","sandbox":"/proc/42/ns/net"}],
                 "ips":[{"version":"4","address":"10.1.2.3/24","gateway":"10.1.2.1","interface":0}],
                 "dns":{}}
                """);
        assertEquals("0.3.1", r.cniVersion());
        assertEquals(List.of(new CniResult.IpConfig("10.1.2.3/24", "10.1.2.1", 0)), r.ips());
        assertEquals(List.of("10.1.2.3"), r.podIps());
        assertEquals(CniResult.Dns.EMPTY, r.dns());
    }

    @Test
    void parsesA040ResultWithoutInterfaceInformation() throws Exception {
        CniResult r = parse("""
                {"cniVersion":"0.4.0",
                 "ips":[{"version":"6","address":"2001:db8::7/64"},{"version":"4","address":"192.168.5.7/24"}]}
                """);
        assertEquals(List.of(), r.interfaces());
        assertEquals(-1, r.ips().get(0).interfaceIndex());
        assertEquals(List.of("192.168.5.7", "2001:db8::7"), r.podIps());
        assertEquals(List.of(), r.routes());
    }

    @Test
    void parsesA020Result() throws Exception {
        CniResult r = parse("""
                {"cniVersion":"0.2.0",
                 "ip4":{"ip":"10.0.0.4/8","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0"}]},
                 "dns":{"nameservers":["1.1.1.1"]}}
                """);
        assertEquals(List.of("10.0.0.4"), r.podIps());
        assertEquals("10.0.0.1", r.ips().get(0).gateway());
        assertEquals(List.of(new CniResult.Route("0.0.0.0/0", "")), r.routes());
        assertEquals(List.of("1.1.1.1"), r.dns().nameservers());
        assertEquals("0.2.0", r.cniVersion());
    }

    @Test
    void rejectsResultsThatAreNotObjectsOrLackAddresses() {
        assertThrows(CniException.class, () -> parse("[]"));
        assertThrows(CniException.class, () -> parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"gateway\":\"1.2.3.4\"}]}"));
        assertThrows(CniException.class, () -> parse("nope"));
    }
}
