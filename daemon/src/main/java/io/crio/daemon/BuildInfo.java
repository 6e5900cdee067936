package io.crio.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** What this build of the daemon is: version and source revision, recorded at build time. */
public record BuildInfo(String version, String gitCommit, String gitCommitDate, String gitTreeState, String buildDate,
                        String javaVersion, String platform) {

    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // a build without the resource reports unknown values
        }
        String dirty = value(p, "gitDirty");
        String state = dirty.equals("unknown") ? "unknown" : Boolean.parseBoolean(dirty) ? "dirty" : "clean";
        String arch = System.getProperty("os.arch");
        arch = arch.equals("x86_64") ? "amd64" : arch.equals("aarch64") ? "arm64" : arch;
        return new BuildInfo(value(p, "version"), value(p, "gitCommit"), value(p, "gitCommitDate"), state,
                value(p, "buildDate"), Runtime.version().toString(), "linux/" + arch);
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key, "");
        return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }

    /** The fields in the order {@code crio version} prints them, with its names. */
    public Map<String, String> fields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Version", version);
        m.put("GitCommit", gitCommit);
        m.put("GitCommitDate", gitCommitDate);
        m.put("GitTreeState", gitTreeState);
        m.put("BuildDate", buildDate);
        m.put("JavaVersion", javaVersion);
        m.put("Compiler", "javac");
        m.put("Platform", platform);
        return m;
    }
}
