package org.redisalerts.publish;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.redisalerts.common.AlertEnvelope;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.ProtocolException;

/**
 * The alerts of one publish, each exactly the bytes to push, all checked before anything is pushed:
 * one JSON object whose {@code event} is a string, that Redis takes in one string. Alerts that a
 * relay with default settings dead-letters (another event than {@code alert}, more than 1 MiB) are
 * kept but noted.
 *
 * @param alerts the alerts, in order
 * @param notes what a relay with default settings would do with some of them (at most 5)
 */
public record AlertBatch(List<byte[]> alerts, List<String> notes) {

  public AlertBatch {
    alerts = List.copyOf(alerts);
    notes = List.copyOf(notes);
  }

  public int size() {
    return alerts.size();
  }

  /** The most bytes Redis takes in one string (its proto-max-bulk-len, by default). */
  static final long MAX_REDIS_STRING = 512L << 20;

  /** What a relay with default settings reads of one alert (--max-buffer-bytes). */
  static final long RELAY_DEFAULT_MAX = 1L << 20;

  /** One alert built from a message and properties. */
  public static AlertBatch of(AlertEnvelope envelope, JsonCodec codec) throws BadInputException {
    byte[] alert = codec.encode(envelope);
    List<String> notes = new ArrayList<>();
    checkSize(alert, "the alert", notes);
    return new AlertBatch(List.of(alert), notes);
  }

  /** One alert given as a JSON object, kept byte for byte. */
  public static AlertBatch ofJson(String json, JsonCodec codec) throws BadInputException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    List<String> notes = new ArrayList<>();
    check(bytes, "--json", codec, notes);
    return new AlertBatch(List.of(bytes), notes);
  }

  /**
   * One alert per line (NDJSON), each kept byte for byte without its line ending; blank lines are
   * skipped. The whole input is read and checked before this returns.
   *
   * @throws BadInputException naming the first bad line
   */
  public static AlertBatch ofLines(InputStream in, JsonCodec codec)
      throws BadInputException, IOException {
    List<byte[]> alerts = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    byte[] all = in.readAllBytes();
    int lineNo = 0;
    int start = 0;
    while (start < all.length) {
      int end = start;
      while (end < all.length && all[end] != '\n') {
        end++;
      }
      lineNo++;
      int stop = end > start && all[end - 1] == '\r' ? end - 1 : end;
      if (!isBlank(all, start, stop)) {
        byte[] line = Arrays.copyOfRange(all, start, stop);
        check(line, "line " + lineNo, codec, notes);
        alerts.add(line);
      }
      start = end + 1;
    }
    if (alerts.isEmpty()) {
      throw new BadInputException(
          "standard input holds no alert (one JSON object per line expected)");
    }
    return new AlertBatch(alerts, notes);
  }

  /**
   * Refuses an alert Redis would not take (it would drop the connection half-way, which read as
   * Redis being unreachable), and notes one a relay with default settings would dead-letter.
   */
  private static void checkSize(byte[] alert, String where, List<String> notes)
      throws BadInputException {
    if (alert.length > MAX_REDIS_STRING) {
      throw new BadInputException(
          where + ": " + alert.length + " bytes, more than the 512 MiB Redis takes in one string");
    }
    if (alert.length > RELAY_DEFAULT_MAX && notes.size() < 5) {
      notes.add(
          where
              + ": "
              + alert.length
              + " bytes: a relay dead-letters an alert over its --max-buffer-bytes (1MiB by"
              + " default)");
    }
  }

  private static void check(byte[] alert, String where, JsonCodec codec, List<String> notes)
      throws BadInputException {
    checkSize(alert, where, notes);
    String event;
    try {
      event = codec.eventOf(alert);
    } catch (ProtocolException e) {
      throw new BadInputException(where + ": " + e.getMessage() + ": " + preview(alert));
    }
    if (!AlertEnvelope.EVENT.equals(event) && notes.size() < 5) {
      notes.add(
          where
              + ": event is '"
              + event
              + "', not 'alert': a relay forwards it only with --forward-events "
              + event);
    }
  }

  private static boolean isBlank(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != ' ' && bytes[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  private static String preview(byte[] alert) {
    String text = new String(alert, StandardCharsets.UTF_8);
    return text.length() > 60 ? text.substring(0, 60) + "..." : text;
  }
}
