package org.redisalerts.listen;

/**
 * Text from the relay (alerts, refusal reasons) made safe to print on a terminal: a publisher, or a
 * relay, could otherwise clear the operator's screen, set its title, write its clipboard (OSC 52),
 * hide or reorder text (bidirectional controls), or break one alert over several lines. Control
 * characters are shown as escapes instead: {@code \e}, {@code \n}, {@code \r}, {@code \t}, and a
 * backslash, "u" and four hex digits for the others.
 */
public final class TerminalText {

  private TerminalText() {}

  /** {@code text} with every control character as a visible escape; itself when it has none. */
  public static String visible(String text) {
    int i = 0;
    while (i < text.length() && !isControl(text.charAt(i))) {
      i++;
    }
    if (i == text.length()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isControl(c)) {
        out.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\u001b' -> out.append("\\e");
        default -> out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  /**
   * C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional formatting
   * characters (embeddings, overrides, isolates and marks).
   */
  static boolean isControl(char c) {
    return Character.isISOControl(c)
        || c == '\u2028'
        || c == '\u2029'
        || c == '\u200e'
        || c == '\u200f'
        || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069')
        || c == '\u061c';
  }

  /**
   * A frame as one line for {@code --json}: the line breaks that JSON allows only as white space
   * between tokens become spaces, so the value is the same and a line is still an alert.
   */
  public static String oneLine(String frame) {
    if (frame.indexOf('\n') < 0 && frame.indexOf('\r') < 0) {
      return frame;
    }
    return frame.replace('\n', ' ').replace('\r', ' ');
  }
}
