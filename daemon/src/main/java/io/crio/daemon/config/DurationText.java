package io.crio.daemon.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import java.io.IOException;

/**
 * Reads a duration option the way CRI-O's TOML decoder does: a string such as {@code "10s"}, or an
 * integer number of nanoseconds, kept as its decimal text. Anything else is a type error.
 */
final class DurationText extends JsonDeserializer<String> {

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
            return p.getText();
        }
        return (String) ctx.handleUnexpectedToken(String.class, p);
    }
}
