package io.crio.daemon.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.crio.daemon.BuildInfo;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code crio version}: what this build is, as aligned text or JSON. */
final class VersionCommand {

    private VersionCommand() {}

    static int run(boolean json, PrintWriter out) {
        Map<String, String> fields = BuildInfo.current().fields();
        if (json) {
            Map<String, String> lower = new LinkedHashMap<>();
            fields.forEach((k, v) -> lower.put(Character.toLowerCase(k.charAt(0)) + k.substring(1), v));
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(lower));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
            fields.forEach((k, v) -> out.println(String.format("%-" + width + "s%s", k + ":", v)));
        }
        return 0;
    }
}
