package io.crio.daemon.config;

import java.util.List;

/**
 * One {@code [crio.runtime.workloads.<name>]} table (experimental): default CPU settings that pods opt into
 * with an annotation, and that each container can override with annotations of its own.
 */
@Doc({"A workload (experimental): pods carrying activation_annotation get the resources",
      "below for their containers; a container can override one with the annotation",
      "<annotation_prefix>.<resource>/<container name>."})
public record Workload(
        @Doc("Pod annotation key that puts the pod into this workload; its value is ignored. Required.")
        String activationAnnotation,
        @Doc({"Prefix of the per-container override annotations. Empty means containers",
              "cannot override the defaults."})
        String annotationPrefix,
        @Doc("Experimental annotations that pods of this workload may use, as for runtime handlers.")
        List<String> allowedAnnotations,
        @Doc("Default values of the resources this workload controls.")
        WorkloadResources resources) {

    public Workload {
        activationAnnotation = Records.str(activationAnnotation);
        annotationPrefix = Records.str(annotationPrefix);
        allowedAnnotations = Records.list(allowedAnnotations);
        resources = Records.orDefault(resources, WorkloadResources::defaults);
    }

    /** A workload with no settings yet. */
    public static Workload defaults() {
        return new Workload("", "", List.of(), WorkloadResources.defaults());
    }

    void validate(Problems problems, String name) {
        String p = "crio.runtime.workloads." + name + ".";
        if (activationAnnotation.isEmpty()) {
            problems.add(p + "activation_annotation", "must not be empty: give the pod annotation that selects this workload");
        }
        for (String annotation : allowedAnnotations) {
            if (!Formats.ALLOWABLE_ANNOTATIONS.contains(annotation)) {
                problems.add(p + "allowed_annotations", "unknown annotation \"" + annotation + "\", allowed: "
                        + String.join(", ", Formats.ALLOWABLE_ANNOTATIONS));
            }
        }
        resources.validate(problems, p + "resources.");
    }
}
