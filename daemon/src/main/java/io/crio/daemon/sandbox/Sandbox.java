package io.crio.daemon.sandbox;

import com.google.protobuf.InvalidProtocolBufferException;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * One pod sandbox in memory: its immutable config and its current persisted record. State changes go
 * through {@link SandboxStore#update}, under this sandbox's own lock (there is no global lock).
 */
public final class Sandbox {

    private final PodSandboxConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile SandboxRecord record;

    Sandbox(SandboxRecord record) {
        this.record = record;
        try {
            this.config = PodSandboxConfig.parseFrom(record.config());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("sandbox " + record.id() + " has an unreadable config: " + e.getMessage(), e);
        }
    }

    public String id() {
        return record.id();
    }

    public String name() {
        return record.name();
    }

    public PodSandboxConfig config() {
        return config;
    }

    public SandboxRecord record() {
        return record;
    }

    public ReentrantLock lock() {
        return lock;
    }

    void set(SandboxRecord r) {
        record = r;
    }

    SandboxRecord apply(UnaryOperator<SandboxRecord> change) {
        return change.apply(record);
    }

    public NamespaceOption namespaceOptions() {
        return config.getLinux().getSecurityContext().getNamespaceOptions();
    }

    public boolean hostNetwork() {
        return namespaceOptions().getNetwork() == NamespaceMode.NODE;
    }

    public boolean hostIpc() {
        return namespaceOptions().getIpc() == NamespaceMode.NODE;
    }

    public boolean hostPid() {
        return namespaceOptions().getPid() == NamespaceMode.NODE;
    }
}
