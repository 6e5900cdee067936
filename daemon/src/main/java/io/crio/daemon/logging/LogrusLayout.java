package io.crio.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Formats log lines as CRI-O does ({@code key=value} text with quoted values):
 * {@code time="2026-01-02 03:04:05.123456789Z" level=info msg="..." id=<request id> name=<method>}.
 */
public final class LogrusLayout extends LayoutBase<ILoggingEvent> {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSSSSXXX").withZone(ZoneOffset.UTC);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("time=\"").append(TIME.format(event.getInstant())).append("\" level=")
                .append(level(event.getLevel())).append(" msg=");
        quote(sb, event.getFormattedMessage());
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                sb.append(' ').append(e.getKey()).append('=');
                value(sb, e.getValue());
            }
        }
        IThrowableProxy t = event.getThrowableProxy();
        if (t != null) {
            sb.append(" error=");
            quote(sb, t.getClassName() + ": " + t.getMessage());
            if (event.getLevel().isGreaterOrEqual(Level.ERROR) || LogSetup.isDebug()) {
                sb.append('\n').append(ThrowableProxyUtil.asString(t));
            }
        }
        return sb.append('\n').toString();
    }

    static String level(Level level) {
        return switch (level.toInt()) {
            case Level.TRACE_INT -> "trace";
            case Level.DEBUG_INT -> "debug";
            case Level.INFO_INT -> "info";
            case Level.WARN_INT -> "warning";
            default -> "error";
        };
    }

    private static void value(StringBuilder sb, String v) {
        boolean plain = !v.isEmpty() && v.chars().allMatch(c -> c > ' ' && c != '"' && c != '=' && c < 0x7f);
        if (plain) {
            sb.append(v);
        } else {
            quote(sb, v);
        }
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
        sb.append('"');
    }
}
