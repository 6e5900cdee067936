package io.crio.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log_level} and {@code log_filter} to the logging system; both can change at run time
 * (SIGHUP reload).
 */
public final class LogSetup {

    private static volatile Pattern filter;
    private static volatile boolean debug;

    private LogSetup() {}

    /** Maps a CRI-O (logrus) level name to logback's level. */
    public static Level toLevel(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warn", "warning" -> Level.WARN;
            case "error", "fatal", "panic" -> Level.ERROR;
            default -> throw new IllegalArgumentException("unknown log level " + name);
        };
    }

    public static void apply(String level, String logFilter) {
        Level l = toLevel(level);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(l);
        // Library internals stay at info unless tracing is asked for.
        Level libs = l == Level.TRACE ? Level.DEBUG : (l.isGreaterOrEqual(Level.INFO) ? l : Level.INFO);
        for (String lib : new String[] {"io.netty", "io.grpc"}) {
            Logger logger = ctx.getLogger(lib);
            logger.setLevel(libs);
        }
        ctx.getLogger("io.netty.bootstrap").setLevel(l == Level.TRACE ? Level.DEBUG : Level.ERROR);
        debug = !l.isGreaterOrEqual(Level.INFO);
        try {
            filter = logFilter == null || logFilter.isEmpty() ? null : Pattern.compile(logFilter);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid log_filter: " + e.getDescription());
        }
    }

    public static boolean isDebug() {
        return debug;
    }

    /** Drops messages that do not match {@code log_filter} when one is set. */
    public static final class MessageFilter extends Filter<ILoggingEvent> {
        @Override
        public FilterReply decide(ILoggingEvent event) {
            Pattern p = filter;
            return p == null || p.matcher(event.getFormattedMessage()).find() ? FilterReply.NEUTRAL : FilterReply.DENY;
        }
    }
}
