package org.redisalerts.relay.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.redisalerts.relay.Tokens;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code relay token}: prints a signed identify token, and nothing else, on standard output. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Signs an identify token for the keys given (for tests, scripts and operators; a "
          + "back-end mints its own, see docs/tokens.md). Prints only the token.",
      ""
    },
    footer = {"", "Exit status: 0 printed, 2 bad command line or key file."})
public final class TokenCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--queue",
      paramLabel = "KEY",
      required = true,
      description = "A key the token covers: exact, or a Redis glob (repeat for several).")
  List<String> queues;

  @Option(names = "--sub", paramLabel = "SUBJECT", description = "Who the token is for (sub).")
  String subject;

  @Option(names = "--jti", paramLabel = "ID", description = "The token's id (jti), to revoke it.")
  String id;

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      defaultValue = "1h",
      description = "From now to its expiry (exp). Default ${DEFAULT-VALUE}.")
  Duration ttl;

  @Option(
      names = "--iss",
      paramLabel = "ISS",
      description = "Its issuer (iss), if the relay pins one.")
  String issuer;

  @Option(
      names = "--aud",
      paramLabel = "AUD",
      description = "Its audience (aud), if the relay pins one.")
  String audience;

  @Option(
      names = "--alg",
      paramLabel = "ALG",
      description =
          "Its algorithm, within the key's family (e.g. HS512, PS256); the key's default unless set.")
  String algorithm;

  @Option(
      names = "--kid",
      paramLabel = "KID",
      description =
          "Name the signing key in the token's header (kid), as relays with --token-jwks need.")
  String keyId;

  @ArgGroup(multiplicity = "1")
  SigningKey key;

  /** Exactly one signing key. */
  static final class SigningKey {
    @Option(
        names = "--token-secret-file",
        paramLabel = "FILE",
        required = true,
        description = "Sign with this HMAC secret (the relay's --token-secret-file).")
    Path secretFile;

    @Option(
        names = "--token-private-key",
        paramLabel = "FILE",
        required = true,
        description = "Sign with this PEM private key (PKCS#8; RSA, EC or Ed25519).")
    Path privateKey;
  }

  @Override
  public Integer call() throws Exception {
    String token =
        Tokens.mint(
            key.secretFile,
            key.privateKey,
            algorithm,
            queues,
            subject,
            id,
            ttl,
            issuer,
            audience,
            keyId);
    spec.commandLine().getOut().println(token);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
