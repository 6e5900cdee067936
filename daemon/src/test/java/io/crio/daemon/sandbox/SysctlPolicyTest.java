package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.daemon.server.CriException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SysctlPolicyTest {

    @Test
    void namespacedKeysAreAllowedWithTheirScope() {
        assertEquals(SysctlPolicy.Scope.NET, SysctlPolicy.scopeOf("net.ipv4.ip_forward"));
        assertEquals(SysctlPolicy.Scope.NET, SysctlPolicy.scopeOf("net/ipv4/conf/eth0.100/forwarding"));
        assertEquals(SysctlPolicy.Scope.IPC, SysctlPolicy.scopeOf("kernel.shmmax"));
        assertEquals(SysctlPolicy.Scope.IPC, SysctlPolicy.scopeOf("kernel.msgmax"));
        assertEquals(SysctlPolicy.Scope.IPC, SysctlPolicy.scopeOf("kernel.sem"));
        assertEquals(SysctlPolicy.Scope.IPC, SysctlPolicy.scopeOf("fs.mqueue.msg_max"));
        assertNull(SysctlPolicy.scopeOf("kernel.hostname"));
        assertNull(SysctlPolicy.scopeOf("vm.overcommit_memory"));
        assertNull(SysctlPolicy.scopeOf("kernel.semx"));
    }

    @Test
    void injectionIntoAnotherKeyIsRejected() {
        for (String value : List.of("1+kernel.core_pattern=|/evil", "1=2", "1\nkernel.core_pattern=x", "a\rb", "x\0y")) {
            CriException e = assertThrows(CriException.class,
                    () -> SysctlPolicy.resolve(Map.of("net.ipv4.ip_forward", value), List.of(), false, false));
            assertEquals(CriException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().contains("net.ipv4.ip_forward"), e.getMessage());
        }
        assertNotNull(SysctlPolicy.problem("net.ipv4.ip_forward+kernel.core_pattern", "1", false, false));
        assertNotNull(SysctlPolicy.problem("net.ipv4.ip_forward=1", "1", false, false));
        assertNotNull(SysctlPolicy.problem("net..x", "1", false, false));
        assertNotNull(SysctlPolicy.problem("../../etc/passwd", "1", false, false));
    }

    @Test
    void spacesInValuesAreFine() {
        assertEquals(Map.of("net.ipv4.ip_local_port_range", "1024 65000"),
                SysctlPolicy.resolve(Map.of("net.ipv4.ip_local_port_range", "1024 65000"), List.of(), false, false));
    }

    @Test
    void hostNamespacesForbidTheirSysctls() {
        assertThrows(CriException.class,
                () -> SysctlPolicy.resolve(Map.of("net.ipv4.ip_forward", "1"), List.of(), true, false));
        assertThrows(CriException.class,
                () -> SysctlPolicy.resolve(Map.of("kernel.shmmni", "100"), List.of(), false, true));
        assertThrows(CriException.class,
                () -> SysctlPolicy.resolve(Map.of("kernel.domainname", "x"), List.of(), false, false));
    }

    @Test
    void defaultsComeFirstAndThePodWins() {
        Map<String, String> out = SysctlPolicy.resolve(Map.of("net.ipv4.ping_group_range", "0 10"),
                List.of("net.ipv4.ping_group_range=0 2147483647", "kernel.shmmni=100", "vm.swappiness=1"), false, true);
        assertEquals(Map.of("net.ipv4.ping_group_range", "0 10"), out);
    }
}
