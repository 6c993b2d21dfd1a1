package org.redisalerts.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The benchmark measures the relay as it is run in production. */
class RelayLauncherTest {

  @Test
  void jvmFlagsAreThoseOfTheLauncherScriptAndTheUnit() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String script = Files.readString(root.resolve("scripts/relay"));
    String unit = Files.readString(root.resolve("scripts/relay.service"));
    for (String flag : RelayLauncher.RELAY_JVM_FLAGS) {
      assertThat(script).contains(flag);
      assertThat(unit).contains(flag);
    }
  }
}
