package io.crio.daemon.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerMetadata;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.LinuxContainerResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Rebuilds a container's record from the annotations of its {@code config.json}, as CRI-O recovers its
 * containers: used when the daemon's own state file of a container that storage still holds is missing or
 * unreadable. What the annotations do not carry is taken from the runtime and conmon's exit file by the
 * caller; the start time of such a container is not known and is reported as its creation time.
 */
final class ContainerRecovery {

    static final String PREFIX = "io.kubernetes.cri-o.";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ContainerRecovery.class);

    private ContainerRecovery() {}

    /** Where the adoption looks and what it asks. */
    record Context(io.crio.storage.ContainersStore storage, Path runRoot, Path exitDir,
                   java.util.function.Function<String, String> sandboxHandler, RuntimeHandlers handlers) {}

    /**
     * Records every container that storage holds, whose {@code config.json} annotations name a workload
     * container, but that {@code store} does not know (its state file was lost or unreadable). Its state is
     * the runtime's: running or created as the runtime reports it, exited when conmon's exit file exists or
     * the runtime no longer knows it. Returns how many were adopted.
     */
    static int adoptMissing(ContainerStore store, Context ctx) throws IOException {
        int adopted = 0;
        for (io.crio.storage.ContainerRecord record : ctx.storage().containers()) {
            if (store.get(record.id()).isPresent()) {
                continue;
            }
            Path bundle = ctx.runRoot().resolve("overlay-containers").resolve(record.id()).resolve("userdata");
            Optional<Recovered> found;
            try {
                found = fromBundle(bundle);
            } catch (IOException | RuntimeException e) {
                log.warn("Cannot read the spec of container {} to recover it: {}", record.id(), e.getMessage());
                continue;
            }
            if (found.isEmpty() || !found.get().id().equals(record.id())) {
                continue;
            }
            Recovered r = found.get();
            String handler = ctx.sandboxHandler().apply(r.sandboxId());
            String status = runtimeStatus(ctx, handler, r.id());
            int pid = readPid(bundle.resolve("pidfile"));
            String stopSignal = StopSignals.of(r.config(), imageStopSignal(ctx.storage(), record.image()));
            ContainerState state = new ContainerState(ContainerState.VERSION, r.id(), r.name(), r.sandboxId(),
                    r.config().toByteArray(), record.image(), r.imageName(), r.imageRef(), handler, r.createdAt(),
                    ContainerState.CREATED.equals(status) ? 0 : r.createdAt(), 0, 0, status, "", "", r.logPath(),
                    bundle.toString(), pid, stopSignal, r.resources().toByteArray());
            if (ContainerState.EXITED.equals(status)) {
                state = state.exited(r.createdAt(), 255, "Error", "the runtime no longer knows the container");
            }
            store.add(state);
            adopted++;
            log.info("Recovered container {} ({}) from its spec annotations: {}", r.id(), r.name(), status);
        }
        return adopted;
    }

    /** {@code created} or {@code running} as the runtime reports the container; {@code exited} when it does not know it. */
    private static String runtimeStatus(Context ctx, String handler, String id) {
        if (Files.exists(ctx.exitDir().resolve(id))) {
            // conmon recorded the exit: the caller's refresh reads code and time from the file
            return ContainerState.RUNNING;
        }
        try {
            String s = ctx.handlers().resolve(handler).cli().state(id).path("status").asText("");
            return switch (s) {
                case "created" -> ContainerState.CREATED;
                case "running", "paused", "stopped" -> ContainerState.RUNNING;
                default -> ContainerState.EXITED;
            };
        } catch (IOException | RuntimeException e) {
            return ContainerState.EXITED;
        }
    }

    private static String imageStopSignal(io.crio.storage.ContainersStore storage, String imageId) {
        try {
            return ImageDefaultsReader.forImage(storage, imageId)
                    .stopSignal();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The pid the runtime wrote to {@code file} (its pidfile); 0 when there is none. */
    static int readPid(Path file) {
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** What a spec's annotations say about a workload container; empty for anything else (an infra container). */
    record Recovered(String id, String name, String sandboxId, ContainerConfig config, String imageName,
                     String imageRef, long createdAt, String logPath, LinuxContainerResources resources) {}

    static Optional<Recovered> fromBundle(Path bundle) throws IOException {
        Path file = bundle.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return fromSpec(ContainerStore.JSON.readTree(Files.readAllBytes(file)));
    }

    static Optional<Recovered> fromSpec(JsonNode spec) throws IOException {
        JsonNode a = spec.path("annotations");
        if (!"container".equals(a.path(PREFIX + "ContainerType").asText())) {
            return Optional.empty();
        }
        String id = text(a, "ContainerID");
        String name = text(a, "ContainerName");
        String sandboxId = text(a, "SandboxID");
        if (id.isEmpty() || name.isEmpty() || sandboxId.isEmpty()) {
            return Optional.empty();
        }
        JsonNode metadata = json(a, "Metadata");
        ContainerConfig.Builder c = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(metadata.path("name").asText(""))
                        .setAttempt(metadata.path("attempt").asInt(0)))
                .setImage(ImageSpec.newBuilder().setImage(text(a, "ImageName")))
                .setTty(Boolean.parseBoolean(text(a, "TTY")))
                .setStdin(Boolean.parseBoolean(text(a, "Stdin")))
                .setStdinOnce(Boolean.parseBoolean(text(a, "StdinOnce")))
                .setLogPath(Path.of(text(a, "LogPath")).getFileName() == null ? ""
                        : Path.of(text(a, "LogPath")).getFileName().toString());
        putAll(json(a, "Labels"), c.getMutableLabels());
        putAll(json(a, "Annotations"), c.getMutableAnnotations());
        JsonNode args = spec.path("process").path("args");
        if (args.isArray() && !args.isEmpty()) {
            args.forEach(x -> c.addCommand(x.asText()));
        }
        spec.path("process").path("env").forEach(x -> {
            String kv = x.asText();
            int eq = kv.indexOf('=');
            if (eq > 0) {
                c.addEnvs(io.crio.api.v1.KeyValue.newBuilder().setKey(kv.substring(0, eq)).setValue(com.google.protobuf.ByteString.copyFromUtf8(kv.substring(eq + 1))));
            }
        });
        c.setWorkingDir(spec.path("process").path("cwd").asText(""));
        LinuxContainerResources resources = resources(spec.path("linux").path("resources"));
        c.getLinuxBuilder().setResources(resources);
        return Optional.of(new Recovered(id, name, sandboxId, c.build(), text(a, "ImageName"), text(a, "ImageRef"),
                createdNanos(text(a, "Created")), text(a, "LogPath"), resources));
    }

    /** The CRI resources a spec's {@code linux.resources} holds (the parts UpdateContainerResources changes). */
    static LinuxContainerResources resources(JsonNode r) {
        LinuxContainerResources.Builder b = LinuxContainerResources.newBuilder();
        JsonNode cpu = r.path("cpu");
        b.setCpuShares(cpu.path("shares").asLong(0)).setCpuQuota(cpu.path("quota").asLong(0))
                .setCpuPeriod(cpu.path("period").asLong(0)).setCpusetCpus(cpu.path("cpus").asText(""))
                .setCpusetMems(cpu.path("mems").asText(""));
        JsonNode memory = r.path("memory");
        b.setMemoryLimitInBytes(memory.path("limit").asLong(0));
        if (memory.has("swap")) {
            b.setMemorySwapLimitInBytes(memory.path("swap").asLong(0));
        }
        return b.build();
    }

    private static long createdNanos(String created) {
        try {
            Instant i = Instant.parse(created);
            return i.getEpochSecond() * 1_000_000_000L + i.getNano();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static String text(JsonNode annotations, String key) {
        return annotations.path(PREFIX + key).asText("");
    }

    private static JsonNode json(JsonNode annotations, String key) throws IOException {
        String raw = text(annotations, key);
        return raw.isEmpty() ? ContainerStore.JSON.createObjectNode() : ContainerStore.JSON.readTree(raw);
    }

    private static void putAll(JsonNode object, Map<String, String> into) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            into.put(e.getKey(), e.getValue().asText());
        }
    }
}
