package org.redisalerts.common;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them on command lines: {@code 500ms}, {@code 10s}, {@code 2m},
 * {@code 1h}, or ISO-8601 {@code PT10S}.
 */
public final class Durations {

  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private Durations() {}

  /** Parses a duration; a bare number is not accepted, since its unit would be a guess. */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("duration is empty");
    }
    String trimmed = text.trim();
    Matcher m = SHORT.matcher(trimmed);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(trimmed);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (write e.g. 500ms, 10s, 2m, 1h or PT10S)");
    }
  }

  /** The short form of a duration, for help text and logs. */
  public static String format(Duration d) {
    if (d.toMillis() % 1000 != 0) {
      return d.toMillis() + "ms";
    }
    long s = d.getSeconds();
    if (s % 3600 == 0 && s > 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0 && s > 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
