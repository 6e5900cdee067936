package io.crio.daemon.config;

/** The {@code [crio.tracing]} table: exporting OpenTelemetry traces. */
@Doc("The crio.tracing table configures exporting OpenTelemetry traces.")
public record TracingSection(
        @Doc("Export OpenTelemetry traces of CRI calls.")
        boolean enableTracing,
        @Doc("host:port of the OTLP gRPC collector the traces are sent to.")
        String tracingEndpoint,
        @Doc("How many spans per million are sampled: 0 samples none, 1000000 samples all.")
        int tracingSamplingRatePerMillion) {

    public TracingSection {
        tracingEndpoint = Records.str(tracingEndpoint);
    }

    public static TracingSection defaults() {
        return new TracingSection(false, "127.0.0.1:4317", 0);
    }

    void validate(Problems problems) {
        if (enableTracing && tracingEndpoint.isBlank()) {
            problems.add("crio.tracing.tracing_endpoint", "must not be empty when enable_tracing is true");
        }
    }
}
