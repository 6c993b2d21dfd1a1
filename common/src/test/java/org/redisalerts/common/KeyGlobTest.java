package org.redisalerts.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyGlobTest {

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
    "alert/*, alert/pool-1, true",
    "alert/*, alert/, true",
    "alert/*, alert/a/b, true",
    "alert/*, alerts/pool-1, false",
    "alert/*, xalert/pool-1, false",
    "alert/?-1, alert/p-1, true",
    "alert/?-1, alert/pp-1, false",
    "alert/[ab]*, alert/a1, true",
    "alert/[ab]*, alert/c1, false",
    "alert/[^ab]*, alert/c1, true",
    "alert/[^ab]*, alert/a1, false",
    "alert/[a-c]x, alert/bx, true",
    "alert/[a-c]x, alert/dx, false",
    "alert/\\*, alert/*, true",
    "alert/\\*, alert/x, false",
    "*, watch, true",
    "a*b*c, aXXbYYc, true",
    "a*b*c, aXXbYY, false",
  })
  void matchesLikeRedis(String pattern, String key, boolean expected) {
    assertThat(new KeyGlob(pattern).matches(key)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "alert/[ab", "alert\\"})
  void badPatternsAreRefusedWithTheirText(String pattern) {
    assertThatThrownBy(() -> new KeyGlob(pattern)).isInstanceOf(IllegalArgumentException.class);
  }
}
