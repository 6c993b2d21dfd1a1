package org.redisalerts.cli;

import org.redisalerts.common.AlertKeys;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

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

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /**
   * The key given, checked. What the command line gives wins over the environment: with RWA_KEY
   * exported, {@code --pool} and {@code --id} still name another recipient, and the other way
   * round.
   */
  public String key() {
    ParseResult given = command == null ? null : command.commandLine().getParseResult();
    if (given == null) {
      return AlertKeys.resolve(key, pool, id);
    }
    boolean keyGiven = given.hasMatchedOption("--key");
    boolean poolGiven = given.hasMatchedOption("--pool") || given.hasMatchedOption("--id");
    return AlertKeys.resolve(
        poolGiven && !keyGiven ? null : key,
        keyGiven && !poolGiven ? null : pool,
        keyGiven && !poolGiven ? null : id);
  }
}
