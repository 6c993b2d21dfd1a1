package org.redisalerts.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

  @Test
  void bytesOrPowersOf1024() {
    assertThat(ByteSize.parse("4096").bytes()).isEqualTo(4096);
    assertThat(ByteSize.parse("0").bytes()).isZero();
    assertThat(ByteSize.parse("512B").bytes()).isEqualTo(512);
    assertThat(ByteSize.parse("64KiB").bytes()).isEqualTo(65_536);
    assertThat(ByteSize.parse("1 MiB").bytes()).isEqualTo(1_048_576);
    assertThat(ByteSize.parse("2gib").bytes()).isEqualTo(2_147_483_648L);
  }

  @Test
  void ambiguousUnitsNegativesAndOverflowsAreRefused() {
    for (String bad : new String[] {"64KB", "64k", "1MB", "-1", "1.5MiB", "MiB", ""}) {
      assertThatThrownBy(() -> ByteSize.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> ByteSize.parse("64KB")).hasMessageContaining("64KiB");
    assertThatThrownBy(() -> ByteSize.parse("99999999999GiB")).hasMessageContaining("too large");
  }

  @Test
  void printsTheShortestExactForm() {
    assertThat(new ByteSize(1 << 20)).hasToString("1MiB");
    assertThat(new ByteSize(1536 * 1024)).hasToString("1536KiB");
    assertThat(new ByteSize(1000)).hasToString("1000");
    assertThat(new ByteSize(0)).hasToString("0");
  }
}
