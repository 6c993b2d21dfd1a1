package org.redisalerts.relay.cli;

import java.nio.file.Path;
import org.redisalerts.relay.RelayConfig;
import picocli.CommandLine.Option;

/**
 * The relay's token options (SPEC 7), shared by {@code relay} and {@code relay check-token} (a
 * picocli mixin), so the check answers for exactly the relay's settings.
 */
public final class TokenOptions {

  @Option(
      names = "--token-secret-file",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_TOKEN_SECRET_FILE}",
      description =
          "Require identify tokens signed with this HMAC secret (HS256/384/512; the file's bytes, "
              + "one trailing newline removed, at least 32). env RWA_TOKEN_SECRET_FILE.")
  Path secretFile;

  @Option(
      names = "--token-public-key",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_TOKEN_PUBLIC_KEY}",
      description =
          "Require identify tokens signed with the private half of this PEM public key "
              + "(RS256/384/512, ES256/384, EdDSA). env RWA_TOKEN_PUBLIC_KEY.")
  Path publicKey;

  @Option(
      names = "--token-jwks",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_TOKEN_JWKS}",
      description =
          "Require identify tokens signed with a key of this JWKS file, chosen by kid; the file "
              + "is read again when it changes (key rotation without a restart). env RWA_TOKEN_JWKS.")
  Path jwks;

  @Option(
      names = "--token-issuer",
      paramLabel = "ISS",
      defaultValue = "${env:RWA_TOKEN_ISSUER}",
      description = "The iss tokens must carry. Any unless set; env RWA_TOKEN_ISSUER.")
  String issuer;

  @Option(
      names = "--token-audience",
      paramLabel = "AUD",
      defaultValue = "${env:RWA_TOKEN_AUDIENCE}",
      description = "The aud tokens must name. Any unless set; env RWA_TOKEN_AUDIENCE.")
  String audience;

  /** Sets the token settings on {@code builder}. */
  RelayConfig.Builder applyTo(RelayConfig.Builder builder) {
    return builder
        .tokenSecretFile(secretFile)
        .tokenPublicKey(publicKey)
        .tokenJwks(jwks)
        .tokenIssuer(blankToNull(issuer))
        .tokenAudience(blankToNull(audience));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
