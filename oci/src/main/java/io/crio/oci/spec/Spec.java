package io.crio.oci.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Map;

/**
 * An OCI runtime-spec {@code config.json} (the parts this runtime fills in), as immutable records. Empty
 * and absent values are left out of the JSON, as the Go types' {@code omitempty} does.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"ociVersion", "process", "root", "hostname", "mounts", "annotations", "linux"})
public record Spec(
        String ociVersion,
        Process process,
        Root root,
        String hostname,
        List<Mount> mounts,
        Map<String, String> annotations,
        Linux linux) {

    public static final String VERSION = "1.0.2-dev";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** This spec with its root file system at {@code path}. */
    public Spec withRootPath(String path) {
        return new Spec(ociVersion, process, new Root(path, root != null && root.readonly()), hostname, mounts,
                annotations, linux);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the runtime spec", e);
        }
    }

    public static Spec fromJson(byte[] json) throws java.io.IOException {
        return JSON.readValue(json, Spec.class);
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Process(
            boolean terminal,
            User user,
            List<String> args,
            List<String> env,
            String cwd,
            Capabilities capabilities,
            List<Rlimit> rlimits,
            boolean noNewPrivileges,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer oomScoreAdj,
            String apparmorProfile,
            String selinuxLabel) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record User(
            @JsonInclude(JsonInclude.Include.ALWAYS) long uid,
            @JsonInclude(JsonInclude.Include.ALWAYS) long gid,
            List<Long> additionalGids,
            String username) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Capabilities(
            List<String> bounding,
            List<String> effective,
            List<String> inheritable,
            List<String> permitted,
            List<String> ambient) {

        /** The same set in bounding, effective and permitted (CRI-O's default for containers). */
        public static Capabilities of(List<String> caps) {
            return new Capabilities(caps, caps, List.of(), caps, List.of());
        }
    }

    public record Rlimit(String type, long hard, long soft) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Root(String path, boolean readonly) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Mount(String destination, String type, String source, List<String> options) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Linux(
            Map<String, String> sysctl,
            Resources resources,
            String cgroupsPath,
            List<Namespace> namespaces,
            List<Device> devices,
            Seccomp seccomp,
            String rootfsPropagation,
            List<String> maskedPaths,
            List<String> readonlyPaths,
            String mountLabel) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Namespace(String type, String path) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Device(String path, String type, long major, long minor, Integer fileMode, Long uid, Long gid) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Resources(
            List<DeviceRule> devices,
            Memory memory,
            Cpu cpu,
            Pids pids,
            List<HugepageLimit> hugepageLimits,
            Map<String, String> unified) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DeviceRule(@JsonInclude(JsonInclude.Include.ALWAYS) boolean allow, String type, Long major,
                             Long minor, String access) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Memory(Long limit, Long reservation, Long swap, Boolean disableOOMKiller) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cpu(Long shares, Long quota, Long period, String cpus, String mems) {}

    public record Pids(long limit) {}

    public record HugepageLimit(String pageSize, long limit) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Seccomp(String defaultAction, @JsonInclude(JsonInclude.Include.NON_NULL) Integer defaultErrnoRet,
                          List<String> architectures, List<String> flags, List<Syscall> syscalls) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Syscall(List<String> names, String action, @JsonProperty("errnoRet") Integer errnoRet,
                          List<SyscallArg> args) {}

    public record SyscallArg(int index, long value, long valueTwo, String op) {}
}
