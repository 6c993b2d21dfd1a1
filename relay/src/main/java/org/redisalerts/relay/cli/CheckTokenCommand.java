package org.redisalerts.relay.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.Tokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code relay check-token}: what a relay with these options would make of a token. */
@Command(
    name = "check-token",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Prints a token's header and claims, and whether a relay with the token options given "
          + "would accept it: signature, time, iss/aud, and with --key the allow-list and whether "
          + "the token covers that key. Revocations are not consulted.",
      ""
    },
    footer = {"", "Exit status: 0 accepted, 1 refused, 2 bad command line."})
public final class CheckTokenCommand implements Callable<Integer> {

  /** The token was refused. */
  static final int REFUSED = 1;

  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "TOKEN",
      description =
          "The token, or - to read it from standard input (keeps it out of ps and history).")
  String token;

  @Mixin TokenOptions tokens;

  @Option(
      names = "--key",
      paramLabel = "KEY",
      description = "Check it for an identify with this key.")
  String key;

  @Option(
      names = "--allow-keys",
      paramLabel = "GLOB",
      split = ",",
      defaultValue = "${env:RWA_ALLOW_KEYS:-alert/*}",
      description =
          "The relay's allow-list, for --key. Default ${DEFAULT-VALUE}; env RWA_ALLOW_KEYS.")
  List<String> allowKeys;

  @Option(
      names = "--watch",
      paramLabel = "LIST",
      defaultValue = "${env:RWA_WATCH:-" + RelayKeys.DEFAULT_WATCH + "}",
      description =
          "The relay's watch list (its keys are never allowed). Default ${DEFAULT-VALUE}.")
  String watch;

  @Override
  public Integer call() throws Exception {
    String text =
        "-".equals(token)
            ? new String(System.in.readAllBytes(), StandardCharsets.US_ASCII).trim()
            : token.trim();
    List<KeyGlob> globs = new ArrayList<>();
    for (String glob : allowKeys) {
      if (!glob.isBlank()) {
        globs.add(new KeyGlob(glob.trim()));
      }
    }
    RelayConfig config =
        tokens
            .applyTo(RelayConfig.builder(RedisEndpoint.parse(RedisEndpoint.DEFAULT_URL)))
            .watch(watch)
            .allowKeys(globs)
            .build();
    Tokens.Check check = Tokens.check(text, config, key, Instant.now());
    PrintWriter out = spec.commandLine().getOut();
    out.println(check.claims());
    out.println(
        (check.accepted() ? "valid: " : "NOT valid: ")
            + check.verdict()
            + (check.accepted() ? "" : " (a relay closes with " + check.closeCode() + ")"));
    out.flush();
    return check.accepted() ? ExitCodes.OK : REFUSED;
  }
}
