package org.redisalerts.relay;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTParser;
import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.redisalerts.common.Pem;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.auth.RevocationList;
import org.redisalerts.relay.auth.Token;
import org.redisalerts.relay.auth.TokenMinter;
import org.redisalerts.relay.auth.TokenRefusal;
import org.redisalerts.relay.auth.TokenVerifier;
import org.redisalerts.relay.auth.VerificationKeys;
import org.redisalerts.relay.clients.AccessPolicy;
import org.redisalerts.relay.redis.Revocations;
import redis.clients.jedis.Jedis;

/**
 * Identify tokens from the outside (SPEC 7): mint one, check one the way a relay would, revoke by
 * {@code jti} or {@code sub}. The relay's {@code token}, {@code check-token} and {@code revoke}
 * commands are these; a Java back-end may call them too.
 */
public final class Tokens {

  private Tokens() {}

  /**
   * A signed token.
   *
   * @param secretFile an HMAC secret file (one trailing newline removed), or null
   * @param privateKey a PEM PKCS#8 private key (RSA, EC, Ed25519), or null; exactly one of the two
   * @param algorithm e.g. HS512 or PS256; null for the key's default (HS256, RS256, ES of the
   *     curve, EdDSA)
   * @param queues the exact keys or Redis globs the token covers
   */
  public static String mint(
      Path secretFile,
      Path privateKey,
      String algorithm,
      List<String> queues,
      String subject,
      String id,
      Duration ttl,
      String issuer,
      String audience)
      throws IOException {
    return mint(
        secretFile, privateKey, algorithm, queues, subject, id, ttl, issuer, audience, null);
  }

  /**
   * As {@link #mint(Path, Path, String, List, String, String, Duration, String, String)}, with
   * {@code keyId} as the header's {@code kid} (null for none).
   */
  public static String mint(
      Path secretFile,
      Path privateKey,
      String algorithm,
      List<String> queues,
      String subject,
      String id,
      Duration ttl,
      String issuer,
      String audience,
      String keyId)
      throws IOException {
    if ((secretFile == null) == (privateKey == null)) {
      throw new IllegalArgumentException("give a secret file or a private key, one of the two");
    }
    if (queues.isEmpty()) {
      throw new IllegalArgumentException("a token must cover at least one queue");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("the time to live must be positive: " + ttl);
    }
    JWSAlgorithm alg =
        algorithm == null ? null : JWSAlgorithm.parse(algorithm.toUpperCase(Locale.ROOT));
    TokenMinter minter =
        secretFile != null
            ? TokenMinter.withSecret(VerificationKeys.readSecret(secretFile), alg)
            : TokenMinter.withPrivateKey(Pem.privateKey(privateKey), alg);
    return minter.keyId(keyId).mint(queues, subject, id, ttl, issuer, audience, Instant.now());
  }

  /** What a relay with given options would make of a token. */
  public record Check(boolean accepted, String verdict, int closeCode, String claims) {}

  /**
   * Checks {@code token} as a relay configured with {@code config} would: signature, time, iss/aud,
   * and, when {@code key} is given, the allow-list and whether the token covers it. Revocations are
   * not consulted (they live in Redis).
   *
   * @param key the key an identify would name, or null
   */
  public static Check check(String token, RelayConfig config, String key, Instant now) {
    String claims = claimsOf(token);
    if (key != null) {
      AccessPolicy.Denial denial = new AccessPolicy(config.keys(), config.allowKeys()).refusal(key);
      if (denial != null) {
        return new Check(false, "refused: " + denial.message(), 1008, claims);
      }
    }
    TokenVerifier verifier = verifier(config);
    if (verifier == null) {
      throw new IllegalArgumentException(
          "no token key: give --token-secret-file, --token-public-key or --token-jwks");
    }
    try {
      Token t = verifier.verify(token, now);
      if (key != null && !t.covers(key)) {
        throw TokenRefusal.notCovering(key);
      }
      return new Check(
          true,
          "accepted" + (key == null ? "" : " for " + key) + ", " + t.secondsLeft(now) + " s left",
          0,
          claims);
    } catch (TokenRefusal refusal) {
      return new Check(false, refusal.getMessage(), refusal.closeCode(), claims);
    }
  }

  /**
   * Revokes tokens by {@code jti} (when {@code byId}) or {@code sub}, for {@code keep}, in the
   * Redis and watch list the relays use; every relay closes connections that use them with 4003.
   *
   * @return when Redis recorded it (its own clock)
   */
  public static Instant revoke(
      RedisEndpoint redis, String watch, boolean byId, String value, Duration keep) {
    try (Jedis jedis = redis.newConnection(5_000, "relay-revoke")) {
      return new Revocations(new RelayKeys(watch))
          .revoke(jedis, byId ? RevocationList.Kind.JTI : RevocationList.Kind.SUB, value, keep)
          .at();
    }
  }

  /** The verifier a configuration asks for; null when tokens are off. */
  static TokenVerifier verifier(RelayConfig config) {
    if (!config.tokensRequired()) {
      return null;
    }
    VerificationKeys keys;
    try {
      if (config.tokenSecretFile() != null) {
        keys = VerificationKeys.secretFile(config.tokenSecretFile());
      } else if (config.tokenPublicKey() != null) {
        keys = VerificationKeys.publicKeyFile(config.tokenPublicKey());
      } else {
        keys = VerificationKeys.jwksFile(config.tokenJwks());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the token key: " + e, e);
    }
    return new TokenVerifier(
        new TokenVerifier.Settings(keys, config.tokenIssuer(), config.tokenAudience()));
  }

  /** The token's header and claims as JSON, unverified, for people to read. */
  private static String claimsOf(String token) {
    try {
      var jwt = JWTParser.parse(token.trim());
      return "header: " + jwt.getHeader().toString() + "\nclaims: " + jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return "(not a JWT)";
    }
  }
}
