package org.redisalerts.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The suite's one JSON codec. Alerts are never re-serialised: the relay only checks them
 * ({@link #checkAlert}) and forwards the bytes as published.
 *
 * <p>Thread-safe: Jackson's mapper and factory are safe to share once configured.
 */
public final class JsonCodec {

  private final ObjectMapper mapper;
  private final JsonFactory factory;

  public JsonCodec() {
    this.mapper =
        JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    this.factory = mapper.getFactory();
  }

  /** Reads a control message from a client. */
  public ClientMessage parseClientMessage(String text) throws ProtocolException {
    JsonNode node;
    try {
      node = mapper.readTree(text);
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
    JsonNode queue = node.get("queue");
    if (queue != null && !queue.isTextual()) {
      throw new ProtocolException("\"queue\" is not a string");
    }
    return new ClientMessage(event.asText(), queue == null ? null : queue.asText());
  }

  /**
   * Checks that a published entry may be forwarded: one well-formed JSON object in UTF-8
   * whose top-level {@code event} is a string in {@code forwarded}.
   *
   * @return null when it may be forwarded, otherwise the reason it may not
   */
  public String checkAlert(byte[] entry, Set<String> forwarded) {
    try (JsonParser parser = factory.createParser(entry)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return "not a JSON object";
      }
      String event = null;
      boolean hasEvent = false;
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("event".equals(name) && !hasEvent) {
          hasEvent = true;
          event = value == JsonToken.VALUE_STRING ? parser.getText() : null;
        }
        parser.skipChildren();
      }
      if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
        return "not a single JSON object";
      }
      if (!hasEvent) {
        return "no \"event\" field";
      }
      if (event == null) {
        return "\"event\" is not a string";
      }
      if (!forwarded.contains(event)) {
        return "event '" + event + "' is not forwarded";
      }
      return null;
    } catch (IOException e) {
      return "not valid JSON in UTF-8";
    }
  }

  /** Encodes a message record or tree as compact JSON. */
  public String write(Object value) {
    try {
      return mapper.writeValueAsString(value);
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
      return mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ProtocolException("not valid JSON: " + e.getOriginalMessage());
    }
  }
}
