package org.redisalerts.common;

/**
 * A glob over keys with the syntax of Redis' KEYS and SCAN MATCH: {@code *} any run of characters
 * (slashes included), {@code ?} one character, {@code [abc]}, {@code [a-z]} and {@code [^a]}
 * classes, and {@code \} to escape.
 *
 * @param pattern the glob as written
 */
public record KeyGlob(String pattern) {

  public KeyGlob {
    if (pattern == null || pattern.isEmpty()) {
      throw new IllegalArgumentException("key pattern is empty");
    }
    checkSyntax(pattern);
  }

  /** Whether {@code key} matches the whole pattern. */
  public boolean matches(String key) {
    return match(0, key, 0);
  }

  private boolean match(int p, String s, int i) {
    while (p < pattern.length()) {
      char c = pattern.charAt(p);
      switch (c) {
        case '*' -> {
          while (p + 1 < pattern.length() && pattern.charAt(p + 1) == '*') {
            p++;
          }
          if (p + 1 == pattern.length()) {
            return true;
          }
          for (int j = i; j <= s.length(); j++) {
            if (match(p + 1, s, j)) {
              return true;
            }
          }
          return false;
        }
        case '?' -> {
          if (i >= s.length()) {
            return false;
          }
          p++;
          i++;
        }
        case '[' -> {
          if (i >= s.length()) {
            return false;
          }
          int end = classEnd(p);
          if (!classMatches(p + 1, end, s.charAt(i))) {
            return false;
          }
          p = end + 1;
          i++;
        }
        case '\\' -> {
          if (i >= s.length() || s.charAt(i) != pattern.charAt(p + 1)) {
            return false;
          }
          p += 2;
          i++;
        }
        default -> {
          if (i >= s.length() || s.charAt(i) != c) {
            return false;
          }
          p++;
          i++;
        }
      }
    }
    return i == s.length();
  }

  /** Index of the ']' closing the class that opens at {@code open}. */
  private int classEnd(int open) {
    int q = open + 1;
    if (q < pattern.length() && pattern.charAt(q) == '^') {
      q++;
    }
    if (q < pattern.length() && pattern.charAt(q) == ']') {
      q++; // a leading ']' is a member
    }
    while (pattern.charAt(q) != ']') {
      q += pattern.charAt(q) == '\\' ? 2 : 1;
    }
    return q;
  }

  private boolean classMatches(int from, int end, char ch) {
    boolean negate = pattern.charAt(from) == '^';
    int q = negate ? from + 1 : from;
    boolean found = false;
    boolean first = true;
    while (q < end) {
      char lo = pattern.charAt(q);
      if (lo == '\\') {
        lo = pattern.charAt(++q);
      } else if (lo == ']' && !first) {
        break;
      }
      first = false;
      if (q + 2 < end && pattern.charAt(q + 1) == '-') {
        char hi = pattern.charAt(q + 2);
        if (hi == '\\') {
          hi = pattern.charAt(q + 3);
          q++;
        }
        found |= lo <= ch && ch <= hi;
        q += 3;
      } else {
        found |= ch == lo;
        q++;
      }
    }
    return found != negate;
  }

  private static void checkSyntax(String pattern) {
    for (int p = 0; p < pattern.length(); p++) {
      char c = pattern.charAt(p);
      if (c == '\\') {
        if (p + 1 == pattern.length()) {
          throw new IllegalArgumentException("key pattern ends with a lone backslash: " + pattern);
        }
        p++;
      } else if (c == '[') {
        int q = p + 1;
        if (q < pattern.length() && pattern.charAt(q) == '^') {
          q++;
        }
        if (q < pattern.length() && pattern.charAt(q) == ']') {
          q++;
        }
        while (q < pattern.length() && pattern.charAt(q) != ']') {
          q += pattern.charAt(q) == '\\' ? 2 : 1;
        }
        if (q >= pattern.length()) {
          throw new IllegalArgumentException("key pattern has an unclosed '[': " + pattern);
        }
        p = q;
      }
    }
  }

  @Override
  public String toString() {
    return pattern;
  }
}
