package org.redisalerts.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes as operators write it on command lines: {@code 4096}, {@code 64KiB}, {@code
 * 1MiB}, {@code 2GiB} (powers of 1024). {@code KB}, {@code k} and {@code MB} are refused: whether
 * they mean 1000 or 1024 would be a guess. An option of this type gets its value through {@link
 * Commands}' converter.
 *
 * @param bytes zero or more
 */
public record ByteSize(long bytes) {

  private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(b|kib|mib|gib)?");

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative: " + bytes);
    }
  }

  /** Parses a size; the message of a refusal shows how to write one. */
  public static ByteSize parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("size is empty");
    }
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        return new ByteSize(
            switch (unit) {
              case "kib" -> Math.multiplyExact(n, 1L << 10);
              case "mib" -> Math.multiplyExact(n, 1L << 20);
              case "gib" -> Math.multiplyExact(n, 1L << 30);
              default -> n;
            });
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException("size too large: '" + text + "'");
      }
    }
    throw new IllegalArgumentException(
        "not a size: '" + text + "' (write bytes, or e.g. 64KiB, 1MiB, 1GiB)");
  }

  /** The shortest exact form: {@code 1MiB}, {@code 1536KiB}, {@code 1000}. */
  @Override
  public String toString() {
    String[] units = {"GiB", "MiB", "KiB"};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << (10 * (units.length - i));
      if (bytes != 0 && bytes % unit == 0) {
        return bytes / unit + units[i];
      }
    }
    return Long.toString(bytes);
  }
}
