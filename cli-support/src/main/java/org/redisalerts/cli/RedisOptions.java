package org.redisalerts.cli;

import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import picocli.CommandLine.Option;

/**
 * {@code --redis URL} and {@code --watch LIST}, as every command that talks to the relay's Redis
 * takes them (a picocli mixin): publish now, the relay and its revoke command alike.
 */
public final class RedisOptions {

  @Option(
      names = "--redis",
      paramLabel = "URL",
      defaultValue = "${env:RWA_REDIS:-" + RedisEndpoint.DEFAULT_URL + "}",
      description =
          "Redis, as redis://[user:password@]host[:port][/db]. "
              + "Default ${DEFAULT-VALUE}; env RWA_REDIS.")
  String redis;

  @Option(
      names = "--watch",
      paramLabel = "LIST",
      defaultValue = "${env:RWA_WATCH:-" + RelayKeys.DEFAULT_WATCH + "}",
      description =
          "The relay's watch list (one entry per alert). Default ${DEFAULT-VALUE}; env RWA_WATCH.")
  String watch;

  /** The Redis given, checked. */
  public RedisEndpoint endpoint() {
    return RedisEndpoint.parse(redis);
  }

  public String watch() {
    return watch;
  }
}
