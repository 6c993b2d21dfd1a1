package org.redisalerts.common;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Text that came in as bytes (a command line, an environment variable): whether it was all valid
 * UTF-8. The JVM decodes such bytes before the program sees them, and puts U+FFFD where a byte was
 * not UTF-8; a lone surrogate has no UTF-8 form at all (Redis would be given "?" in its place).
 */
public final class DecodedText {

  private DecodedText() {}

  /** {@code bytes} as text when they are all valid UTF-8; else null. */
  public static String utf8OrNull(byte[] bytes) {
    return utf8OrNull(ByteBuffer.wrap(bytes));
  }

  /** What {@code bytes} hold, as text, when it is all valid UTF-8; else null. */
  public static String utf8OrNull(ByteBuffer bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Whether {@code value} holds neither U+FFFD nor a surrogate outside a pair. */
  public static boolean isValid(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++; // a pair: one character beyond the Basic Multilingual Plane
      } else if (Character.isSurrogate(c) || c == '\uFFFD') {
        return false;
      }
    }
    return true;
  }

  /**
   * @return {@code value}
   * @throws IllegalArgumentException naming {@code what} when it is not {@link #isValid}
   */
  public static String require(String what, String value) {
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          what + " is not valid Unicode text (bytes that are not UTF-8?): " + LogText.quote(value));
    }
    return value;
  }
}
