package org.redisalerts.common;

/**
 * Text that came from outside (a client's key, a close reason, an origin, a publisher's entry) made
 * safe for one log line: quoted, with quotes, backslashes and every control character escaped
 * (newline, ESC, NUL, U+2028...), so it can neither forge a line nor drive a terminal, and cut to a
 * length that keeps the line readable.
 */
public final class LogText {

  /** Characters kept from a long value; the rest is counted, not shown. */
  public static final int MAX_CHARS = 200;

  private LogText() {}

  /** {@code value} in double quotes, escaped and cut; {@code null} as the word null. */
  public static String quote(String value) {
    if (value == null) {
      return "null";
    }
    int shown = Math.min(value.length(), MAX_CHARS);
    StringBuilder out = new StringBuilder(shown + 8).append('"');
    for (int i = 0; i < shown; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> append(out, value, i);
      }
    }
    out.append('"');
    return cutNote(out, value, shown);
  }

  /**
   * {@code text} that the relay composed around outside text (an error message that names a key or
   * quotes a parser's complaint) with every control, format and line-separator character escaped,
   * and cut; not quoted, and quotes and backslashes kept as they are, so parts already made safe
   * with {@link #quote} read the same.
   */
  public static String unquoted(String text) {
    if (text == null) {
      return "null";
    }
    int shown = Math.min(text.length(), 2 * MAX_CHARS);
    StringBuilder out = new StringBuilder(shown + 8);
    for (int i = 0; i < shown; i++) {
      append(out, text, i);
    }
    return cutNote(out, text, shown);
  }

  /** Appends {@code value}'s character at {@code i}, escaped when it could break a log line. */
  private static void append(StringBuilder out, String value, int i) {
    char c = value.charAt(i);
    int type = Character.getType(c);
    if (Character.isISOControl(c)
        || type == Character.FORMAT
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR
        || Character.isSurrogate(c) && !validPair(value, i)) {
      out.append(String.format("\\u%04x", (int) c));
    } else {
      out.append(c);
    }
  }

  private static String cutNote(StringBuilder out, String value, int shown) {
    if (value.length() > shown) {
      out.append("...(").append(value.length() - shown).append(" more chars)");
    }
    return out.toString();
  }

  private static boolean validPair(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
