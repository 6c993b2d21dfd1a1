package org.redisalerts.common;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Loading and naming; running is tested where the scripts run (publish, the relay). */
class RedisScriptTest {

  @Test
  void shaIsTheSha1OfTheResourceInHexAsEvalshaTakesIt() {
    RedisScript script = RedisScript.load(RedisScriptTest.class, "echo.lua");
    assertThat(new String(script.body(), US_ASCII)).isEqualTo("return ARGV[1]\n");
    assertThat(new String(script.sha(), US_ASCII))
        .isEqualTo("7b6725f104881a8808d417a4dcbc8417fa455fe4");
    assertThat(script).hasToString("echo.lua");
  }

  @Test
  void aMissingResourceIsNamed() {
    assertThatThrownBy(() -> RedisScript.load(RedisScriptTest.class, "nope.lua"))
        .hasMessageContaining("nope.lua");
  }
}
