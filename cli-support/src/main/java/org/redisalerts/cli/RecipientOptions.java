package org.redisalerts.cli;

import org.redisalerts.common.AlertKeys;
import picocli.CommandLine.Option;

/**
 * {@code --key K} or {@code --pool P --id U}, as publish and listen take them (a picocli mixin).
 */
public final class RecipientOptions {

  @Option(
      names = "--key",
      paramLabel = "KEY",
      defaultValue = "${env:RWA_KEY}",
      description = "The recipient's key (its list). env RWA_KEY. Or give --pool and --id.")
  String key;

  @Option(
      names = "--pool",
      paramLabel = "POOL",
      defaultValue = "${env:RWA_POOL}",
      description = "With --id: the key alert/POOL-ID. env RWA_POOL.")
  String pool;

  @Option(
      names = "--id",
      paramLabel = "ID",
      defaultValue = "${env:RWA_ID}",
      description = "With --pool: the key alert/POOL-ID. env RWA_ID.")
  String id;

  /** The key given, checked. */
  public String key() {
    return AlertKeys.resolve(key, pool, id);
  }
}
