package org.redisalerts.relay.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.redisalerts.cli.RedisOptions;
import org.redisalerts.relay.Tokens;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code relay revoke}: revokes tokens by jti or sub on every relay of a watch list. */
@Command(
    name = "revoke",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Revokes identify tokens: by --jti that token, by --sub every token of that subject issued "
          + "before now. Every relay on the Redis and watch list given refuses them at identify "
          + "and refresh, and closes connections that use them with 4003 within a second.",
      ""
    },
    footer = {"", "Exit status: 0 revoked, 1 Redis unreachable or refused, 2 bad command line."})
public final class RevokeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @ArgGroup(multiplicity = "1")
  Target target;

  /** Exactly one of jti or sub. */
  static final class Target {
    @Option(
        names = "--jti",
        paramLabel = "ID",
        required = true,
        description = "Revoke the token with this jti.")
    String id;

    @Option(
        names = "--sub",
        paramLabel = "SUBJECT",
        required = true,
        description = "Revoke the tokens of this sub.")
    String subject;
  }

  @Option(
      names = "--for",
      paramLabel = "DURATION",
      defaultValue = "24h",
      description =
          "How long the revocation is kept: as long as the longest-lived token you issue. "
              + "Default ${DEFAULT-VALUE}.")
  Duration keep;

  @Mixin RedisOptions redis;

  @Override
  public Integer call() {
    boolean byId = target.id != null;
    Instant at =
        Tokens.revoke(
            redis.endpoint(), redis.watch(), byId, byId ? target.id : target.subject, keep);
    spec.commandLine()
        .getErr()
        .printf(
            "revoked %s %s at %s (Redis time), kept %s%n",
            byId ? "jti" : "sub",
            byId ? target.id : target.subject,
            at,
            org.redisalerts.common.Durations.format(keep));
    spec.commandLine().getErr().flush();
    return ExitCodes.OK;
  }
}
