package org.redisalerts.common;

/**
 * Text that came from outside (a client's key, a close reason, an origin, a publisher's entry) made
 * safe for one log line: quoted, with quotes, backslashes and every control character escaped
 * (newline, ESC, NUL...), so it can neither forge a line nor drive a terminal, and cut to a length
 * that keeps the line readable.
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
        default -> {
          if (Character.isISOControl(c)
              || Character.getType(c) == Character.FORMAT
              || Character.isSurrogate(c) && !validPair(value, i)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
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
