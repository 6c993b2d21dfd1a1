package org.redisalerts.common;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An alert built from parts, as {@code publish MESSAGE -p NAME=VALUE} does: {@code
 * {"event":"alert","message":...,"recordedOn":"<ISO-8601 UTC>", ...properties}}, in that order.
 *
 * @param message the text clients show
 * @param recordedOn when it happened, ISO-8601 UTC with milliseconds (as JavaScript's {@code
 *     Date.toISOString()} writes it)
 * @param properties further fields, in the order given
 */
public record AlertEnvelope(String message, String recordedOn, List<Property> properties) {

  /** The event every alert carries. */
  public static final String EVENT = "alert";

  private static final Set<String> RESERVED = Set.of("event", "message", "recordedOn");
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern JSON_NUMBER =
      Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?");

  /**
   * A field. {@code literal} values are written as JSON as they are (numbers, booleans); others as
   * strings.
   */
  public record Property(String name, String value, boolean literal) {

    /**
     * Parses {@code NAME=VALUE}: a value that reads as a JSON number or boolean stays one, anything
     * else is a string.
     */
    public static Property parse(String assignment) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("property must be NAME=VALUE: '" + assignment + "'");
      }
      String name = assignment.substring(0, eq);
      String value = assignment.substring(eq + 1);
      boolean literal =
          value.equals("true") || value.equals("false") || JSON_NUMBER.matcher(value).matches();
      return new Property(name, value, literal);
    }
  }

  public AlertEnvelope {
    if (message == null) {
      throw new IllegalArgumentException("an alert needs a message");
    }
    properties = List.copyOf(properties);
    Set<String> seen = new HashSet<>();
    for (Property p : properties) {
      if (RESERVED.contains(p.name())) {
        throw new IllegalArgumentException("property '" + p.name() + "' is set by publish itself");
      }
      if (!seen.add(p.name())) {
        throw new IllegalArgumentException("property '" + p.name() + "' is given twice");
      }
    }
  }

  /** An alert recorded now by {@code clock}. */
  public static AlertEnvelope of(String message, List<Property> properties, Clock clock) {
    return new AlertEnvelope(message, ISO_MILLIS.format(Instant.now(clock)), properties);
  }
}
