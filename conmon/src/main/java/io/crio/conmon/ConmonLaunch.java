package io.crio.conmon;

import java.util.ArrayList;
import java.util.List;

/**
 * How to start conmon for one container: the monitor, the OCI runtime it drives, where the bundle, pid
 * files, log, exit file and attach socket go. {@link #arguments()} renders conmon 2.1's command line as
 * CRI-O passes it.
 */
public record ConmonLaunch(
        String conmonPath,
        String runtimePath,
        String runtimeRoot,
        String containerId,
        String containerName,
        String bundleDir,
        String containerPidFile,
        String conmonPidFile,
        String logPath,
        String exitDir,
        String socketDir,
        String logLevel,
        String persistDir,
        boolean terminal,
        boolean stdin,
        boolean stdinOnce,
        long logSizeMax,
        boolean syslog,
        boolean systemdCgroup,
        boolean noPivot,
        List<String> env) {

    public ConmonLaunch {
        env = List.copyOf(env);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** conmon's arguments (without argv[0]). */
    public List<String> arguments() {
        List<String> a = new ArrayList<>(List.of(
                "-b", bundleDir,
                "-c", containerId,
                "--exit-dir", exitDir,
                "-l", logPath,
                "--log-level", logLevel.isEmpty() ? "info" : logLevel,
                "-n", containerName,
                "-P", conmonPidFile,
                "-p", containerPidFile,
                "--persist-dir", persistDir,
                "-r", runtimePath,
                "--runtime-arg", "--root=" + runtimeRoot,
                "--socket-dir-path", socketDir));
        if (syslog) {
            a.add("--syslog");
        }
        a.addAll(List.of("-u", containerId));
        if (systemdCgroup) {
            a.add("-s");
        }
        if (logSizeMax > 0) {
            a.addAll(List.of("--log-size-max", Long.toString(logSizeMax)));
        }
        if (noPivot) {
            a.add("--no-pivot");
        }
        if (terminal) {
            a.add("-t");
        } else if (stdin) {
            if (!stdinOnce) {
                a.add("--leave-stdin-open");
            }
            a.add("-i");
        }
        return a;
    }

    /**
     * Fills a launch field by field; unset text fields are empty, log_size_max is unlimited (-1; any value
     * not above 0 passes no {@code --log-size-max}).
     */
    public static final class Builder {
        private String conmonPath = "conmon";
        private String runtimePath = "";
        private String runtimeRoot = "";
        private String containerId = "";
        private String containerName = "";
        private String bundleDir = "";
        private String containerPidFile = "";
        private String conmonPidFile = "";
        private String logPath = "";
        private String exitDir = "";
        private String socketDir = "";
        private String logLevel = "info";
        private String persistDir = "";
        private boolean terminal;
        private boolean stdin;
        private boolean stdinOnce;
        private long logSizeMax = -1;
        private boolean syslog;
        private boolean systemdCgroup;
        private boolean noPivot;
        private List<String> env = List.of();

        public Builder conmonPath(String v) { conmonPath = v; return this; }
        public Builder runtimePath(String v) { runtimePath = v; return this; }
        public Builder runtimeRoot(String v) { runtimeRoot = v; return this; }
        public Builder containerId(String v) { containerId = v; return this; }
        public Builder containerName(String v) { containerName = v; return this; }
        public Builder bundleDir(String v) { bundleDir = v; return this; }
        public Builder containerPidFile(String v) { containerPidFile = v; return this; }
        public Builder conmonPidFile(String v) { conmonPidFile = v; return this; }
        public Builder logPath(String v) { logPath = v; return this; }
        public Builder exitDir(String v) { exitDir = v; return this; }
        public Builder socketDir(String v) { socketDir = v; return this; }
        public Builder logLevel(String v) { logLevel = v; return this; }
        public Builder persistDir(String v) { persistDir = v; return this; }
        public Builder terminal(boolean v) { terminal = v; return this; }
        public Builder stdin(boolean v) { stdin = v; return this; }
        public Builder stdinOnce(boolean v) { stdinOnce = v; return this; }
        public Builder logSizeMax(long v) { logSizeMax = v; return this; }
        public Builder syslog(boolean v) { syslog = v; return this; }
        public Builder systemdCgroup(boolean v) { systemdCgroup = v; return this; }
        public Builder noPivot(boolean v) { noPivot = v; return this; }
        public Builder env(List<String> v) { env = v; return this; }

        public ConmonLaunch build() {
            return new ConmonLaunch(conmonPath, runtimePath, runtimeRoot, containerId, containerName, bundleDir,
                    containerPidFile, conmonPidFile, logPath, exitDir, socketDir, logLevel, persistDir, terminal, stdin,
                    stdinOnce, logSizeMax, syslog, systemdCgroup, noPivot, env);
        }
    }
}
