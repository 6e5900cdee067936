package io.crio.daemon.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.crio.daemon.BuildInfo;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code crio version}: what this build is, as aligned text or JSON. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print version information.")
final class VersionCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-j", "--json"}, description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws JsonProcessingException {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> fields = BuildInfo.current().fields();
        if (json) {
            Map<String, String> lower = new LinkedHashMap<>();
            fields.forEach((k, v) -> lower.put(Character.toLowerCase(k.charAt(0)) + k.substring(1), v));
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(lower));
        } else {
            int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
            fields.forEach((k, v) -> out.println(String.format("%-" + width + "s%s", k + ":", v)));
        }
        out.flush();
        return 0;
    }
}
