package io.crio.daemon.config;

/** The whole configuration file: everything lives in the {@code [crio]} table and the tables below it. */
public record CrioConfig(CrioSection crio) {

    public CrioConfig {
        crio = Records.orDefault(crio, CrioSection::defaults);
    }

    /** The built-in defaults: CRI-O's Linux defaults with this project's deliberate differences. */
    public static CrioConfig defaults() {
        return new CrioConfig(CrioSection.defaults());
    }

    /** Adds a problem for every invalid value, named by its dotted key (e.g. {@code crio.runtime.log_level}). */
    public void validate(Problems problems) {
        crio.validate(problems);
    }
}
