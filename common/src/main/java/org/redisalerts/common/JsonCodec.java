package org.redisalerts.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The suite's one JSON codec. Alerts are never re-serialised: the relay only checks them ({@link
 * #checkAlert}) and forwards the bytes as published.
 *
 * <p>Thread-safe: Jackson's mapper and factory are safe to share once configured.
 */
public final class JsonCodec {

  /**
   * For what clients send: a control message with a field twice (which {@code queue}?) is refused.
   */
  private final JsonFactory factory =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /**
   * For alerts: any JSON object a browser's {@code JSON.parse} reads is forwarded (SPEC 3), so none
   * of Jackson's own limits (1,000 digits in a number, 1,000 levels of nesting, 50,000 characters
   * in a name) and no refusal of a field given twice (the last one counts, as in a browser, for
   * {@code event} too). The entry's size is bounded before it is read ({@code --max-buffer-bytes}),
   * and so is what checking it costs.
   */
  private final JsonFactory alertFactory =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxNameLength(Integer.MAX_VALUE)
                  .maxNestingDepth(Integer.MAX_VALUE)
                  .maxStringLength(Integer.MAX_VALUE)
                  .build())
          .build();

  /** Created on first use: commands that only check and build alerts never load it. */
  private volatile ObjectMapper mapper;

  private ObjectMapper mapper() {
    ObjectMapper m = mapper;
    if (m == null) {
      synchronized (this) {
        m = mapper;
        if (m == null) {
          m =
              JsonMapper.builder(factory)
                  .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                  .build();
          mapper = m;
        }
      }
    }
    return m;
  }

  /** Reads a control message from a client. */
  public ClientMessage parseClientMessage(String text) throws ProtocolException {
    JsonNode node;
    try {
      node = mapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new ProtocolException("message is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new ProtocolException("message is not a JSON object");
    }
    JsonNode event = node.get("event");
    if (event == null || !event.isTextual()) {
      throw new ProtocolException("message has no \"event\" string");
    }
    String queue = text(node, "queue");
    String token = text(node, "token");
    JsonNode ack = node.get("ack");
    if (ack != null && !ack.isBoolean()) {
      throw new ProtocolException("\"ack\" is not true or false");
    }
    JsonNode count = node.get("count");
    Long n = null;
    if (count != null) {
      if (!count.isIntegralNumber() || !count.canConvertToLong()) {
        throw new ProtocolException("\"count\" is not a whole number");
      }
      n = count.asLong();
    }
    return new ClientMessage(event.asText(), queue, token, ack == null ? null : ack.asBoolean(), n);
  }

  private static String text(JsonNode node, String field) throws ProtocolException {
    JsonNode value = node.get(field);
    if (value != null && !value.isTextual()) {
      throw new ProtocolException("\"" + field + "\" is not a string");
    }
    return value == null ? null : value.asText();
  }

  /**
   * Checks that a published entry may be forwarded: one well-formed JSON object in UTF-8 whose
   * top-level {@code event} is a string in {@code forwarded}.
   *
   * @return null when it may be forwarded, otherwise the reason it may not
   */
  public String checkAlert(byte[] entry, Set<String> forwarded) {
    String event;
    try {
      event = eventOf(entry);
    } catch (ProtocolException e) {
      return e.getMessage();
    }
    return forwarded.contains(event) ? null : "event '" + event + "' is not forwarded";
  }

  /**
   * Whether the entry's first bytes, after JSON whitespace, are a byte order mark or the start of
   * UTF-16 or UTF-32 (a NUL first or right after a {@code '{'}).
   */
  private static boolean inAnotherEncoding(byte[] entry) {
    int start = 0;
    while (start < entry.length && isJsonSpace(entry[start])) {
      start++;
    }
    if (start == entry.length) {
      return false;
    }
    byte first = entry[start];
    return first == 0
        || first == (byte) 0xEF
        || first == (byte) 0xFE
        || first == (byte) 0xFF
        || (first == '{' && start + 1 < entry.length && entry[start + 1] == 0);
  }

  private static boolean isJsonSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  /**
   * Reads the top-level {@code event} of an entry that must be exactly one JSON object in UTF-8,
   * without building it.
   *
   * @throws ProtocolException saying why the entry is not such an object
   */
  public String eventOf(byte[] entry) throws ProtocolException {
    if (inAnotherEncoding(entry)) {
      // Jackson would skip a byte order mark, or read UTF-16 or UTF-32; clients would not.
      throw new ProtocolException(
          "not UTF-8 JSON as a browser reads it (a byte order mark, or UTF-16 or UTF-32)");
    }
    try (JsonParser parser = alertFactory.createParser(entry)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new ProtocolException("not a JSON object");
      }
      String event = null;
      boolean hasEvent = false;
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("event".equals(name)) {
          hasEvent = true;
          event = value == JsonToken.VALUE_STRING ? parser.getText() : null;
        }
        parser.skipChildren();
      }
      if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw new ProtocolException("not a single JSON object");
      }
      if (!hasEvent) {
        throw new ProtocolException("no \"event\" field");
      }
      if (event == null) {
        throw new ProtocolException("\"event\" is not a string");
      }
      return event;
    } catch (JsonProcessingException e) {
      throw new ProtocolException("not valid JSON: " + withoutSourceNote(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ProtocolException("not valid JSON: " + e.getMessage());
    }
  }

  /**
   * Jackson's message without its note on the source it does not show ("Source: REDACTED
   * (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "), which means nothing to people.
   */
  private static String withoutSourceNote(String message) {
    return message == null ? "" : message.replaceAll("Source: REDACTED \\([^)]*\\); ", "");
  }

  /** Encodes an alert built from parts, fields in the envelope's order. */
  public byte[] encode(AlertEnvelope alert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = factory.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("event", AlertEnvelope.EVENT);
      g.writeStringField("message", alert.message());
      g.writeStringField("recordedOn", alert.recordedOn());
      for (AlertEnvelope.Property p : alert.properties()) {
        g.writeFieldName(p.name());
        if (p.literal() && (p.value().equals("true") || p.value().equals("false"))) {
          g.writeBoolean(Boolean.parseBoolean(p.value()));
        } else if (p.literal()) {
          g.writeNumber(p.value());
        } else {
          g.writeString(p.value());
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode an alert", e);
    }
    return out.toByteArray();
  }

  /** Encodes a message record or tree as compact JSON. */
  public String write(Object value) {
    try {
      return mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  /** Encodes a message record or tree as compact UTF-8 JSON. */
  public byte[] writeBytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  /** Reads JSON into a tree, for tests and tools that inspect frames. */
  public JsonNode readTree(String json) throws ProtocolException {
    try {
      return mapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new ProtocolException("not valid JSON: " + withoutSourceNote(e.getOriginalMessage()));
    }
  }
}
